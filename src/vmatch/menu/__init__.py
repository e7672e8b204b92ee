"""Menu-style service (菜单式服务): order → dispatch → accept → rate (点单 → 派单 → 接单 → 评单).

A centre publishes a menu of :class:`ServiceItem`; volunteers and teams publish :class:`Offer`;
residents place :class:`Order`; :func:`menu_solve` dispatches every order to at most one provider,
welfare-optimally or stably; providers accept or decline and residents cancel
(:func:`menu_replan`, or :func:`vmatch.replan` on the compiled problem); :func:`explain_orders`
says why an order is unserved; residents rate (:class:`Rating`, :func:`vmatch.ratings.reliability`),
which weighs the next round. A menu problem compiles to a dispatch problem (:func:`menu_to_problem`)
and is solved by the dispatch pipeline: there is no second solver stack.

Examples
--------
>>> from vmatch.gen.menu import generate_menu
>>> mp = generate_menu(50, 20, seed=5)
>>> r = menu_solve(mp, time_limit=5)
>>> r.status.value, check_menu(mp, r)
('OPTIMAL', [])
>>> sorted(a.order for a in r.assignments) == sorted(r.by_order())
True
"""

from vmatch.menu.check import check_menu
from vmatch.menu.compile import MenuMapping, menu_to_problem
from vmatch.menu.engine import solve_problem
from vmatch.menu.explain import OrderExplanation, explain_orders, explain_orders_text
from vmatch.menu.model import Offer, Order, Rating, ServiceItem
from vmatch.menu.people import person_violations
from vmatch.menu.problem import MenuProblem
from vmatch.menu.replan import menu_replan
from vmatch.menu.result import MenuAssignment, MenuResult, menu_result_to_dict
from vmatch.menu.solve import MENU_OBJECTIVE, menu_solve

__all__ = [
    "MENU_OBJECTIVE",
    "MenuAssignment",
    "MenuMapping",
    "MenuProblem",
    "MenuResult",
    "Offer",
    "Order",
    "OrderExplanation",
    "Rating",
    "ServiceItem",
    "check_menu",
    "explain_orders",
    "explain_orders_text",
    "menu_replan",
    "menu_result_to_dict",
    "menu_solve",
    "menu_to_problem",
    "person_violations",
    "solve_problem",
]
