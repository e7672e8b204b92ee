"""Vocabulary of the synthetic generators: skills, certificates, languages, task categories.

Weights are relative frequencies; they are tuned so that common needs (first aid,
elderly care, cooking) are easy to staff and rare ones (sign language, medical work
with a licence, Cantonese) are scarce, which leaves some tasks unfillable.

Examples
--------
>>> len(SKILLS), SKILLS[0]
(12, 'first_aid')
>>> round(sum(c.weight for c in CATEGORIES), 9)
1.0
>>> CATEGORY_NAMES.index("community-kitchen") >= 0
True
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "CATEGORY_NAMES",
    "CERTIFICATES",
    "LANGUAGES",
    "SKILLS",
    "SKILL_WEIGHTS",
    "TASK_LEVEL_P",
    "VOLUNTEER_LEVEL_P",
    "Category",
]

SKILLS: tuple[str, ...] = (
    "first_aid",
    "elderly_care",
    "tutoring",
    "sign_language",
    "driving",
    "cooking",
    "repair",
    "counselling",
    "translation",
    "logistics",
    "medical",
    "it_support",
)

#: How often volunteers hold each skill (relative, aligned with :data:`SKILLS`).
SKILL_WEIGHTS: tuple[float, ...] = (1.0, 0.9, 0.8, 0.1, 0.7, 0.9, 0.5, 0.4, 0.3, 0.8, 0.2, 0.5)

#: Volunteer skill levels 1-5, skewed low.
VOLUNTEER_LEVEL_P: tuple[float, ...] = (0.38, 0.30, 0.18, 0.09, 0.05)

#: Task skill levels 1-3.
TASK_LEVEL_P: tuple[float, ...] = (0.55, 0.32, 0.13)

CERTIFICATES: tuple[str, ...] = ("safety", "food_hygiene", "medical_license")

#: Language codes held as the ``language`` attribute ("sign" is sign language).
LANGUAGES: tuple[str, ...] = ("zh", "yue", "en", "sign")


@dataclass(frozen=True, slots=True)
class Category:
    """A kind of task.

    Parameters
    ----------
    name : str
        Category label put on the task.
    weight : float
        Share of tasks.
    skills : tuple of str
        Skills a task of this kind may need, the most likely first.
    certificate : str or None
        Certificate such tasks may require, with probability ``cert_p``.
    cert_p : float
        Probability of requiring ``certificate``.
    languages : tuple of (frozenset of str, float)
        Language restrictions specific to the category, with probabilities.
    team : bool
        Concentrated-service kind: larger head-counts, more minimum head-counts.
    priority_boost : int
        Added to the drawn priority (capped at 5).
    home_visit : float
        Probability that the task is at a resident's home instead of a station.
    """

    name: str
    weight: float
    skills: tuple[str, ...]
    certificate: str | None = None
    cert_p: float = 0.0
    languages: tuple[tuple[frozenset[str], float], ...] = ()
    team: bool = False
    priority_boost: int = 0
    home_visit: float = 0.0


_YUE = frozenset({"yue"})
_EN = frozenset({"en"})
_SIGN = frozenset({"sign"})

CATEGORIES: tuple[Category, ...] = (
    Category("elderly-care", 0.22, ("elderly_care", "cooking", "first_aid", "counselling"), home_visit=0.5),
    Category("tutoring", 0.12, ("tutoring", "translation", "it_support"), languages=((_EN, 0.08),)),
    Category("community-kitchen", 0.08, ("cooking", "logistics"), "food_hygiene", 0.7),
    Category("health-check", 0.07, ("medical", "first_aid"), "medical_license", 0.6, priority_boost=1),
    Category("event-support", 0.14, ("logistics", "first_aid", "driving"), "safety", 0.3, team=True),
    Category("repair", 0.08, ("repair", "it_support"), "safety", 0.4, home_visit=0.4),
    Category("transport", 0.07, ("driving", "logistics"), "safety", 0.3),
    Category("companionship", 0.07, ("counselling", "elderly_care"), languages=((_YUE, 0.05),), home_visit=0.5),
    Category("accessibility", 0.04, ("sign_language",), languages=((_SIGN, 0.6),)),
    Category("digital-help", 0.06, ("it_support", "tutoring")),
    Category("interpreting", 0.03, ("translation",), languages=((_EN, 0.5), (_YUE, 0.2))),
    Category(
        "emergency-drill",
        0.02,
        ("first_aid", "medical", "logistics"),
        "safety",
        0.5,
        team=True,
        priority_boost=2,
    ),
)

CATEGORY_NAMES: tuple[str, ...] = tuple(c.name for c in CATEGORIES)
