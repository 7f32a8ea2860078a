"""A realistic conference map: 40 cards in the words people use at a Child Protection conference, from a short
line to the 300 characters of a long card, and the quick way to put them on a board (over the page's own
connection, as the chair's, the professional's and the family's screens would send them).

The fictional family: Sam Lee (Mum), Mia (7) and Leo (4), Grandma Rose; Jo Patel is Mia's teacher.
`hold_conference` fills every other part of the agenda the same way."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conference_pages import (
    Room,
    add_child,
    add_child_words,
    add_decision_note,
    add_network_member,
    add_statement,
    add_step,
    answer,
    answer_for,
    attendee_row,
    give_view,
    jump_to,
    next_phase,
    open_round,
    record_attendee,
    record_decision,
    round_item,
    statement,
    write_goal,
)

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


# ---- the rest of a realistic initial conference: every part of the agenda with what it usually holds ----------

ATTENDEES: list[tuple[str, str, str, str, bool]] = [  # name, their part, organisation, here?, sent a report
    ("Kim Novak", "Social worker", "Children's services", "present", True),
    ("Dr Priya Shah", "Health visitor", "Northfield Health", "present", True),
    ("Rose Lee", "Grandma", "Family", "present", False),
    ("Dan Lee", "Dad", "Family", "present", False),
    ("Lucy Ford", "Nursery manager", "Little Acorns Nursery", "present", True),
    ("PC Tom Reed", "Police officer", "Police", "apologies", True),
]

# child, house, the child's own words (shared with the child's agreement)
CHILD_WORDS: list[tuple[str, str, str]] = [
    ("Mia", "worries", "When Mum and Dad shout I take Leo under my bed and put my hands on his ears."),
    ("Mia", "good_things", "Grandma Rose makes pancakes on Saturdays and we watch a film in her big bed."),
    ("Mia", "dreams", "I want Dad to stop drinking and for us all to go to the seaside in the summer."),
    ("Leo", "worries", "I don't like it when it is dark and nobody comes."),
    ("Leo", "good_things", "My nursery has a sand pit and a big red bike."),
    ("Leo", "dreams", "A dog called Biscuit."),
]

# who is worried, what the adults did or may do, the impact on the child, what could happen if nothing changes;
# then the safety goal: the adults will, the child will experience, professionals will see, for how long
STATEMENTS: list[tuple[tuple[str, str, str, str], tuple[str, str, str, str]]] = [
    (
        (
            "Kim Novak (social worker), Jo Patel (school) and the police",
            "Mia and Leo were left alone overnight on 14 October while Mum went out, and Mum has said she sometimes"
            " goes out at night to get her medicine.",
            "Leo was found crying at 2am by a neighbour; Mia says she is scared to go to sleep in case Mum goes out.",
            "The children could be hurt, or start a fire, with no grown-up there to help them at night.",
        ),
        (
            "Mum will always have a grown-up she trusts with the children at night, and will ring Rose or Pat"
            " if she needs to go out.",
            "Mia and Leo will always have a grown-up they know at home at night, and will know who to call.",
            "Jo will hear from Mia that someone was at home every night, and Rose will say she was called.",
            "Six months",
        ),
    ),
    (
        (
            "Kim Novak (social worker) and Lucy Ford (nursery)",
            "Mum and Dad shout and throw things when they argue, while the children are in the house and awake.",
            "Mia cannot sleep and has stopped eating lunch; Leo had a cut on his foot from a broken glass.",
            "The children could be badly hurt by something thrown, and will keep living in fear at home.",
        ),
        (
            "Mum and Dad will talk about hard things away from the children, and Dad will not come to the flat"
            " after 8pm.",
            "The children will live in a calm home where nobody shouts or throws things.",
            "School and nursery will see Mia and Leo rested, eating, and not worried about going home.",
            "Until the review, and then six months",
        ),
    ),
    (
        (
            "Dr Priya Shah (health visitor)",
            "Dad drinks most evenings and has missed his appointments with the alcohol service.",
            "Leo said 'Daddy grabbed me' about the bruise on his arm; Mia says Dad is scary when he has been drinking.",
            "Leo or Mia could be hurt again when Dad has been drinking and looks after them.",
        ),
        (
            "Dad will go to every alcohol service appointment, and will only see the children at Rose's house.",
            "The children will feel safe when they see Dad, and will not see him drunk.",
            "The alcohol service will confirm he comes every week; Rose will be there at every visit.",
            "Six months",
        ),
    ),
]

# person (the chair enters the answers of people without a device), value, reason
END_ROUND: list[tuple[str, int, str]] = [
    ("Kim Novak", 4, "Mum has a plan for the nights, but it is new and Dad's drinking has not changed yet."),
    ("Dr Priya Shah", 5, "Mum is getting help for her depression, and Rose is there two nights a week."),
    ("Lucy Ford", 5, "Leo comes to nursery every day now, clean and fed, and is much happier."),
    ("Rose Lee", 7, "I am there now, and I will not let the children be left alone again."),
]

NETWORK: list[tuple[str, str, str]] = [
    ("Rose Lee", "Grandma", "Stays at the flat on Tuesday and Wednesday nights, and is on call every other night."),
    ("Pat Green", "Neighbour", "Helps with the school run on bad mornings, and is on call if Mum needs to go out."),
]

STEPS: list[tuple[str, str, str, str]] = [  # what, who, by when, how we will know
    (
        "Visit every Tuesday after school and see the children on their own",
        "Kim Novak",
        "From 3 December",
        "Kim's notes",
    ),
    ("Keep the counselling appointment and see the GP about sleep", "Sam Lee", "3 December", "Mum tells Kim"),
    ("Stay at the flat on Tuesday and Wednesday nights", "Rose Lee", "Until the review", "Rose and Mia tell Kim"),
    ("Go back to the alcohol service every week", "Dan Lee", "From next week", "The service writes to Kim"),
    ("Breakfast club for Mia every morning, free", "Jo Patel", "From Monday", "School's register"),
    ("Ask again about the flat near Rose", "Kim Novak", "24 February", "A letter from housing"),
]

DECISIONS: list[tuple[str, tuple[str, ...], str]] = [
    (
        "Mia",
        ("Neglect", "Emotional abuse"),
        "Mia was left alone at night with her brother, and lives with shouting and fear at home. The plan is new"
        " and needs time to show it keeps her safe.",
    ),
    (
        "Leo",
        ("Neglect", "Physical abuse"),
        "Leo was left alone at night, had a cut from a broken glass and a bruise nobody can yet explain. He is four"
        " and cannot ask for help himself.",
    ),
]


def hold_conference(room: Room) -> None:
    """Every part of an initial conference filled as a realistic meeting fills it, from each person's own screen:
    the children and who is here, the 40 cards, the children's words, three danger statements with their safety
    goals, a revealed scaling round, the plan and a decision for each child. Ends on the decision."""
    chair, professional, family = room.chair, room.professional, room.family
    add_child(chair, "Mia", 7)
    add_child(chair, "Leo", 4)
    for name, role, agency, status, report in ATTENDEES:
        record_attendee(chair, name, role, agency, status=status, report_sent=report)
    professional.get_by_test_id("check-in").click()
    family.get_by_role("button", name="Tell the chair you are here").click()
    for name in ("Jo Patel", "Sam Lee"):
        attendee_row(chair, name).get_by_role("button", name="Confirm").click()
        expect(attendee_row(chair, name)).to_have_attribute("data-confirmed", "true")
    next_phase(chair, "What are we worried about?")
    fill_board({"chair": chair, "professional": professional, "family": family}, CARDS, watcher=chair)
    jump_to(chair, "What the children say")
    for child, house, words in CHILD_WORDS:
        add_child_words(professional, child, house, words, shared=True)
    jump_to(chair, "Danger statements and safety goals")
    for (who, behaviour, impact, if_nothing), goal in STATEMENTS:
        add_statement(professional, who, behaviour, impact, if_nothing, ("Mia", "Leo"))
        write_goal(professional, behaviour, *goal)
    first = statement(family, STATEMENTS[0][0][1])
    first.get_by_test_id("family-view-open").click()
    give_view(family, first, "I partly agree", "I was only gone for an hour, but never again.")
    jump_to(chair, "Safety scale")
    open_round(chair, "end")
    answer(family, "End", 8, "We have Gran now, and I am getting help.")
    answer(professional, "End", 4, "Still early days: Mia is still tired and worried on Mondays.")
    for person, value, reason in END_ROUND:
        answer_for(chair, "End", person, value, reason)
    round_item(chair, "End").get_by_test_id("round-reveal").click()
    expect(chair.get_by_test_id("chart-row")).to_have_count(len(END_ROUND) + 2)
    jump_to(chair, "What needs to happen: the plan")
    for name, relationship, agreed in NETWORK:
        add_network_member(professional, name, relationship, agreed)
    for what, who, by_when, how in STEPS:
        add_step(professional, what, who, by_when, how)
    chair.get_by_label("Review conference date").fill("2027-02-24")
    chair.get_by_label("Core group date").fill("2026-12-09")
    chair.get_by_test_id("dates-save").click()
    jump_to(chair, "Decision")
    for child, categories, reasons in DECISIONS:
        record_decision(chair, child, categories, reasons)
        add_decision_note(
            chair,
            child,
            "recommendation",
            "Police",
            "Agrees with a plan while the police look into the bruise.",
            categories,
        )
