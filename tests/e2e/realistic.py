"""A realistic conference map: 40 cards in the words people use at a Child Protection conference, from a short
line to the 300 characters of a long card, and the quick way to put them on a board (over the page's own
connection, as the chair's, the professional's and the family's screens would send them).

The fictional family: Sam Lee (Mum), Mia (7) and Leo (4), Grandma Rose; Jo Patel is Mia's teacher."""

from __future__ import annotations

from playwright.sync_api import Page, expect

# (column, kind, who writes it: chair | professional | family, text)
CARDS: list[tuple[str, str, str, str]] = [
    (
        "worries",
        "harm",
        "professional",
        (
            "Mia and Leo were left alone overnight on 14 October. A neighbour heard Leo crying at 2am and called "
            "the police."
        ),
    ),
    (
        "worries",
        "harm",
        "professional",
        ("Mia has missed 11 school days since September, and was late on 19 of the days she came."),
    ),
    (
        "worries",
        "harm",
        "chair",
        (
            "Police were called to the house three times this year after neighbours heard shouting and things "
            "being thrown. Each time Mia and Leo were at home and awake. On 2 November a glass was broken in the "
            "kitchen and Leo had a small cut on his foot the next morning at nursery."
        ),
    ),
    (
        "worries",
        "complicating_factor",
        "professional",
        ("Mum's depression makes mornings very hard; she says some days she cannot get out of bed before eleven."),
    ),
    (
        "worries",
        "complicating_factor",
        "chair",
        ("The family have £30 a week for food after rent and debts. The electricity meter ran out twice in October."),
    ),
    (
        "worries",
        "complicating_factor",
        "professional",
        ("Dad drinks most evenings and says he does not remember some of the arguments."),
    ),
    ("worries", "grey_area", "family", "Whether Dad should have the children at weekends."),
    (
        "worries",
        "harm",
        "professional",
        (
            "Leo's nursery saw bruising on his upper arm on 6 November. Mum said he fell off the sofa; Leo said "
            "'Daddy grabbed me'. The bruise was photographed and a paediatrician saw him the same day. It is not "
            "yet clear how it happened, and the police are still asking."
        ),
    ),
    (
        "worries",
        "complicating_factor",
        "family",
        ("We have been moved three times in two years, and the flat is damp and cold."),
    ),
    (
        "worries",
        "complicating_factor",
        "professional",
        ("Mum has nobody to call at night; her own mum lives an hour away by bus."),
    ),
    (
        "worries",
        "grey_area",
        "professional",
        ("Nobody yet knows who the new partner is, or how often he stays at the flat."),
    ),
    ("worries", "harm", "chair", "Mia told her teacher she makes Leo's tea most nights because Mum is asleep."),
    (
        "worries",
        "complicating_factor",
        "professional",
        ("Mia has stopped eating lunch at school and says her tummy hurts on Mondays."),
    ),
    (
        "worries",
        "grey_area",
        "family",
        ("I don't agree that the children were in danger in October: I was only gone for an hour to get my medicine."),
    ),
    (
        "worries",
        "complicating_factor",
        "chair",
        ("Dad has missed his last two appointments with the alcohol service and has not said why."),
    ),
    (
        "working_well",
        "strength",
        "family",
        ("Grandma Rose collects the children every Friday and they stay with her for the weekend."),
    ),
    (
        "working_well",
        "existing_safety",
        "professional",
        ("Mum has taken Mia to every health appointment since June, and the GP says Leo's asthma is now well managed."),
    ),
    (
        "working_well",
        "strength",
        "family",
        ("The children love reading with me at bedtime; we have read the whole Gruffalo shelf at the library."),
    ),
    (
        "working_well",
        "strength",
        "professional",
        ("Mia is doing well in reading and maths, and her teacher says she is kind to the younger children."),
    ),
    (
        "working_well",
        "existing_safety",
        "chair",
        (
            "When Dad had been drinking in September, Mum took the children to Grandma Rose's and stayed there "
            "two nights. Rose says she would do the same again, and that the children know her house and have "
            "their own beds there. This shows Mum can act to keep the children safe when she sees the danger."
        ),
    ),
    (
        "working_well",
        "strength",
        "professional",
        ("Mum has started seeing her GP about her depression and has a counselling appointment on 3 December."),
    ),
    ("working_well", "strength", "family", "Leo goes to nursery every day now and loves the sand pit."),
    (
        "working_well",
        "existing_safety",
        "professional",
        ("Since the meeting in October, Mia has been on time every day but two."),
    ),
    ("working_well", "strength", "chair", "Mum asked for help herself: she rang the early help team in August."),
    ("working_well", "strength", "family", "Our neighbour Pat helps with the school run when I have a bad morning."),
    (
        "working_well",
        "existing_safety",
        "professional",
        (
            "Dad has moved out to his brother's flat and has kept to the agreement not to come to the house after"
            " 8pm for four weeks."
        ),
    ),
    (
        "working_well",
        "strength",
        "professional",
        ("The family are on the list for a two-bedroom flat near Grandma Rose."),
    ),
    ("working_well", "strength", "family", "The children are happy and loved, and they tell me everything."),
    (
        "needs_to_happen",
        "safety_goal",
        "chair",
        (
            "Mia and Leo always have a grown-up they know at home at night, and they know who to call if they are"
            " worried."
        ),
    ),
    (
        "needs_to_happen",
        "safety_goal",
        "chair",
        ("The children live in a calm home where nobody shouts or throws things, and Mia sleeps through the night."),
    ),
    (
        "needs_to_happen",
        "next_step",
        "professional",
        ("Jo Patel to visit every Tuesday after school, from 3 December, and see the children on their own."),
    ),
    (
        "needs_to_happen",
        "next_step",
        "professional",
        (
            "Mum to see her GP about sleep and keep her counselling appointment on 3 December; she will tell Jo "
            "how it went."
        ),
    ),
    (
        "needs_to_happen",
        "next_step",
        "family",
        ("Grandma Rose will stay at the flat on Tuesday and Wednesday nights until the review."),
    ),
    (
        "needs_to_happen",
        "next_step",
        "chair",
        (
            "Dad to go back to the alcohol service. If he misses another appointment, the social worker will talk"
            " with Mum and Rose about what that means for contact at weekends, and contact will be at Rose's "
            "house only until there is a plan everyone agrees on."
        ),
    ),
    (
        "needs_to_happen",
        "next_step",
        "professional",
        ("School to give Mia breakfast club every morning, free, from Monday."),
    ),
    (
        "needs_to_happen",
        "safety_goal",
        "professional",
        ("Mia goes to school every day, on time, and has eaten breakfast."),
    ),
    (
        "needs_to_happen",
        "next_step",
        "professional",
        ("The housing officer to ask again about the flat near Rose, before the review on 24 February."),
    ),
    ("needs_to_happen", "grey_area", "family", "How often Dad can see the children, and where."),
    (
        "needs_to_happen",
        "next_step",
        "chair",
        ("Everyone in the safety network to meet with Mum on 9 December to agree who is on call at night."),
    ),
    ("needs_to_happen", "next_step", "family", "I will ring Rose or Pat, not go out, if I need my medicine at night."),
]

assert len(CARDS) == 40 and max(len(text) for *_, text in CARDS) <= 300


def send_cards(page: Page, cards: list[tuple[str, str, str, str]]) -> None:
    """Send cards over the page's own connection, in order, as the person on that screen would."""
    page.evaluate(
        """cards => {
            for (const [column, kind, text] of cards) {
                window.sosBoard.connection.send({type: "add_card", column, kind, text});
            }
        }""",
        [[column, kind, text] for column, kind, _who, text in cards],
    )


def fill_board(pages: dict[str, Page], cards: list[tuple[str, str, str, str]], watcher: Page) -> None:
    """Every card from the screen of whoever writes it (one screen each: chair, professional, family), in the
    order of the list within each writer; waits until `watcher` shows them all."""
    for who, page in pages.items():
        send_cards(page, [c for c in cards if c[2] == who])
    expect(watcher.get_by_test_id("card")).to_have_count(len(cards), timeout=20_000)
    expect(watcher.locator("[data-testid=card][data-pending]")).to_have_count(0)
