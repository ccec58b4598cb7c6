"""Findings in every wording CQC has used, 2014–2025, from **constructed** texts (none is a
copy of a report): the files of tests/fixtures/report-text/ with the findings a careful reader
takes from them, then one rule at a time."""

from __future__ import annotations

import pytest

from monitor.domain.findings import read_findings
from tests.support.report_texts import constructed, constructed_expectations

EXPECTED = constructed_expectations()


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_constructed_report(name: str) -> None:
    """Read as the monitor reads it (told the location's name, where the file is a PDF
    extract with the name in its running headers) and without the name."""
    expected = EXPECTED[name]
    for hint in {None, expected.get("location_name")}:
        found = read_findings(constructed(name), location_name=hint)
        assert found.breaches == expected["breaches"]
        assert list(found.regulations) == expected["regulations"]
        assert found.special_measures == expected["special_measures"]
        assert list(found.enforcement) == expected["enforcement"]
        if "summary_starts" in expected:
            assert found.summary is not None
            assert found.summary.startswith(expected["summary_starts"])


# Constructed sentences, one wording each. (text, breaches, regulation numbers named)
BREACH_WORDINGS = [
    ("We identified 3 breaches of regulation.", 3, []),
    ("We found six breaches of the legal regulations.", 6, []),
    ("We found one breach of regulation.", 1, []),
    ("This was a breach of regulation 12 (Safe care and treatment).", 1, ["12"]),
    ("We found breaches of regulations 12 and 17.", 2, ["12", "17"]),
    (
        "We found breaches of regulations 9, 12, 13 and 17 at this inspection.",
        4,
        ["9", "12", "13", "17"],
    ),
    (
        "The provider was in breach of Regulation 17 (Good governance) and Regulation 18 "
        "(Staffing).",
        2,
        ["17", "18"],
    ),
    (
        "We found breaches of regulations 12 (safe care and treatment) and 17 (good governance).",
        2,
        ["12", "17"],
    ),
    ("The provider was in breach of 2 regulations.", 2, []),
    ("We found the provider had breached three regulations.", 3, []),
    ("Twelve breaches of regulation were found.", 12, []),
    ("The provider was in breach of Regulation 12(1)(2)(a)(b).", 1, ["12"]),
    (
        "The provider remained in breach of one regulation and we identified a new "
        "breach of regulation 18.",
        2,
        ["18"],
    ),
    (
        "We found two breaches of regulation 12 and 17. We also found a breach of regulation 18.",
        3,
        ["12", "17", "18"],
    ),
    (
        "We have identified breaches in relation to consent and nutrition at this inspection.",
        2,
        ["11", "14"],
    ),
    ("There were no breaches of regulation.", 0, []),
    ("We did not find any breaches of the regulations during this inspection.", 0, []),
    ("No breaches of regulation were identified.", 0, []),
    ("We have not identified any breaches of regulation.", 0, []),
    ("The service was not in breach of any regulations.", 0, []),
    ("We found 5 breaches of regulation, including 2 repeated breaches.", 5, []),
    ("We found 3 breaches of regulation, of which two were continued breaches.", 3, []),
    ("We found areas for improvement including 31 breaches of legal requirements.", 31, []),
    ("We identified 2 continued and 1 new breach of the regulations.", 3, []),
    ("At this inspection we found two continued breaches and one new breach.", 3, []),
    ("Regulation 12 had been breached.", 1, ["12"]),
    ("Regulation 17 (Good governance) was breached.", 1, ["17"]),
    ("Regulations 12 and 17 were breached.", 2, ["12", "17"]),
    ("The provider did not meet the requirements of regulation 17.", 1, ["17"]),
    ("We issued a requirement notice in relation to regulation 18.", 1, ["18"]),
    ("We found breaches of Reg 12 and Reg 17.", 2, ["12", "17"]),
    ("We found a breach of regulation 17b.", 1, []),  # no regulation of any scheme
    ("This was a breach of Reg. 19.", 1, ["19"]),
    ("We found a breach of the fit and proper person requirement for directors.", 1, ["5"]),
    ("We identified 3 breaches of regulation, 2 of which were repeat breaches.", 3, []),
    (
        "At our last inspection we found a breach of regulation 12. We found this breach had "
        "continued at this inspection.",
        1,
        ["12"],
    ),
    (
        "We have served warning notices on the provider in relation to safe care and "
        "treatment and good governance.",
        2,
        ["12", "17"],
    ),
    (
        "We have identified 5 breaches of the legal regulations. These related to safe care "
        "and treatment, premises and equipment, staffing, good governance and safeguarding.",
        5,
        ["12", "13", "15", "17", "18"],
    ),
    (
        "We found the provider was in breach of the following regulations:\n"
        "\u2022 Regulation 12 (Safe care and treatment)\n\u2022 Regulation 17 (Good governance)\n",
        2,
        ["12", "17"],
    ),
]


@pytest.mark.parametrize(
    ("text", "breaches", "numbers"), BREACH_WORDINGS, ids=[t[:48] for t, _, _ in BREACH_WORDINGS]
)
def test_breach_wordings(text: str, breaches: int | None, numbers: list[str]) -> None:
    found = read_findings(text)
    assert found.breaches == breaches
    assert [
        label.split(":")[0].removeprefix("Regulation ") for label in found.regulations
    ] == numbers


NOT_THIS_INSPECTION = [
    "At our last inspection we found four breaches of regulation.",
    "At the last inspection the provider was in breach of regulation 12.",
    "Four breaches were found at our previous inspection.",
    (
        "The last rating for this service was inadequate (published 3 May 2019) and "
        "there were multiple breaches of regulation."
    ),
    (
        "At this inspection enough improvement had been made and the provider was no "
        "longer in breach of regulations 12 and 17."
    ),
    "The provider was not in breach of regulation 12.",
    "We will check whether the provider is still in breach of regulation 17.",
    "If we find breaches of regulation we will take action.",
    "The home had a data breach last year.",
    "We found no evidence that the provider was in breach of regulation 12.",
    "This was a breach of Section 33 of the Health and Social Care Act 2008.",
    "We found breaches of the Mental Capacity Act 2005 code of practice.",
    "Staff knew how to report a breach of infection control guidance.",
    "Where there had been a breach of a person's human rights, staff took action.",
    "Staff told us they had breached the lone working policy.",
    "When we last inspected in 2019 we found breaches of regulations 12 and 17.",
    (
        "This inspection took place on 3 September 2019. We carried out an unannounced "
        "comprehensive inspection of this service on 4 February 2019. A breach of legal "
        "requirements was found."
    ),
    (
        "We carried out this inspection on 12 May 2021. We carried out an announced focused "
        "inspection of this practice on 3 March 2020. A breach of legal requirements was found."
    ),
    (
        "We carried out our on-site activity on 6 and 8 February 2024. At an assessment of this "
        "service in June 2023 we found a breach of regulation 12."
    ),
    (
        "At our last inspection we served warning notices in relation to regulations 12 and "
        "17. At this inspection we found the provider had met the warning notices and was no "
        "longer in breach of these regulations."
    ),
]


@pytest.mark.parametrize("text", NOT_THIS_INSPECTION, ids=[t[:48] for t in NOT_THIS_INSPECTION])
def test_what_is_not_a_breach_of_this_inspection(text: str) -> None:
    assert read_findings(text).breaches is None


SPECIAL_MEASURES = [
    ("This service is being placed in special measures.", "placed"),
    ("The service has been placed into special measures.", "placed"),
    (
        "The overall rating for this service is 'Inadequate' and the service is "
        "therefore in 'special measures'.",
        "placed",
    ),
    ("I am placing this practice in special measures.", "placed"),
    ("This service remains in special measures.", "remains"),
    ("The service will therefore remain in special measures.", "remains"),
    ("The trust continues to be in special measures.", "remains"),
    ("Therefore, this service is no longer in Special Measures.", "removed"),
    ("The practice has come out of special measures.", "removed"),
    (
        "The purpose of special measures is to ensure that services providing inadequate "
        "care make significant improvements.",
        None,
    ),
    (
        "If the service has demonstrated improvements it will no longer be in special measures.",
        None,
    ),
    ("At our last inspection the service was placed in special measures.", None),
    ("This service has been in Special Measures since June 2019.", None),
    ("The trust was recommended for special measures.", "placed"),
    ("We recommended that the trust be placed into special measures.", "placed"),
    ("The service continues in special measures.", "remains"),
    (
        "I have recommended to NHS Improvement that the trust remains in special measures.",
        "remains",
    ),
    (
        "This service has been rated inadequate for the last two consecutive inspections and "
        "remains in special measures.",
        "remains",
    ),
    ("The service has been taken out of special measures.", "removed"),
    ("I have recommended that the trust be taken out of special measures.", "removed"),
    ("The service was in special measures.", None),
    ("The provider runs 12 care homes, 2 of which are in special measures.", None),
    (
        "Services that are in special measures are kept under review and inspected again "
        "within six months.",
        None,
    ),
    (
        "Providers placed in special measures who do not improve may have their registration "
        "cancelled.",
        None,
    ),
    (
        "Although the practice is rated inadequate for providing safe services, it is not "
        "being placed into special measures.",
        None,
    ),
    (
        "This inspection took place on 9 November 2021. The service was placed in special "
        "measures following our inspection in April 2021.",
        None,
    ),
]


@pytest.mark.parametrize(
    ("text", "state"), SPECIAL_MEASURES, ids=[t[:48] for t, _ in SPECIAL_MEASURES]
)
def test_special_measures_wordings(text: str, state: str | None) -> None:
    assert read_findings(text).special_measures == state


ENFORCEMENT = [
    ("We served a warning notice on the provider.", ["warning_notice"]),
    ("We issued two warning notices in relation to regulations 12 and 17.", ["warning_notice"]),
    (
        "Following this inspection we served a Section 29A Warning Notice on the trust.",
        ["warning_notice"],
    ),
    (
        "We took urgent action to impose conditions on the provider's registration.",
        ["urgent_action", "conditions"],
    ),
    ("We imposed conditions on the provider's registration.", ["conditions"]),
    (
        "We used our urgent powers to suspend the provider's registration.",
        ["urgent_action", "suspension"],
    ),
    ("We have taken action to cancel the provider's registration.", ["cancellation"]),
    (
        "We issued a notice of proposal to cancel the registration of the provider.",
        ["cancellation"],
    ),
    ("The provider was prosecuted and pleaded guilty.", ["prosecution"]),
    ("We issued the provider with a fixed penalty notice.", ["fixed_penalty"]),
    ("We issued requirement notices to the provider.", ["requirement_notice"]),
    (
        "In instances where CQC have decided to take civil or criminal enforcement "
        "action against a provider, we will publish this information on our website.",
        [],
    ),
    (
        "If we do not propose to cancel the provider's registration, we will re-inspect "
        "within six months.",
        [],
    ),
    (
        "This will usually lead to cancellation of their registration or to varying the "
        "conditions of their registration.",
        [],
    ),
    ("We did not issue a warning notice.", []),
    ("We will consider whether to impose conditions on the provider's registration.", []),
    ("At our last inspection we served a warning notice on the provider.", []),
    ("The warning notice we served at our last inspection had been met.", []),
    ("We are taking action to prosecute the provider.", ["prosecution"]),
    (
        "The provider was fined £40,000 after pleading guilty to failing to provide safe care.",
        ["prosecution"],
    ),
    ("We issued a fixed penalty notice in lieu of prosecution.", ["fixed_penalty"]),
    ("We have served requirement notices.", ["requirement_notice"]),
    (
        "The table below shows where regulations were not being met and we have asked the "
        "provider to send us a report that says what action they are going to take.",
        ["requirement_notice"],
    ),
    (
        "The table below shows where regulations were not being met and we have taken "
        "enforcement action.",
        [],
    ),
    (
        "The four breaches are detailed in the requirement notices at the end of this report.",
        ["requirement_notice"],
    ),
    ("Are services well-led? Requirements notice", ["requirement_notice"]),
    ("We are currently considering our enforcement options.", []),
    ("We will continue to monitor the service and may take further action.", []),
    (
        "Full information about CQC's regulatory response to the more serious concerns found "
        "during inspections is added to reports after any representations and appeals have "
        "been concluded.",
        [],
    ),
    (
        "We will request an action plan from the provider to understand what they will do to "
        "improve the standards of quality and safety.",
        [],
    ),
    ("We have taken enforcement action against the provider.", []),
    ("The provider had their registration cancelled in June 2023.", ["cancellation"]),
    ("The provider had conditions imposed on their registration.", ["conditions"]),
    (
        "We issued a notice of decision to remove this location from the provider's registration.",
        ["cancellation"],
    ),
    # What the provider or another body did is not CQC's enforcement.
    ("The provider took urgent action to address the concerns we raised.", []),
    ("The provider has since voluntarily cancelled their registration.", []),
    ("The provider applied to have their registration cancelled.", []),
    ("The registration was cancelled at the provider's request.", []),
    ("The provider was prosecuted by the Health and Safety Executive.", []),
    ("The local authority had suspended admissions to the home.", []),
]


@pytest.mark.parametrize(("text", "actions"), ENFORCEMENT, ids=[t[:48] for t, _ in ENFORCEMENT])
def test_enforcement_wordings(text: str, actions: list[str]) -> None:
    assert list(read_findings(text).enforcement) == actions


def test_a_paragraph_naming_this_inspection_later_keeps_the_sentences_before_it_in_the_past() -> (
    None
):
    text = (
        "At our last inspection the service was rated inadequate. We found six breaches of "
        "regulations and served warning notices. At this inspection we found the provider was "
        "still in breach of regulation 12."
    )
    found = read_findings(text)
    assert (found.breaches, list(found.enforcement)) == (1, [])


def test_we_found_after_the_last_assessment_is_this_assessment() -> None:
    text = (
        "At our last assessment we rated this service good. We identified 2 breaches of the "
        "legal regulations in relation to safe care and treatment and staffing."
    )
    assert read_findings(text).breaches == 2


def test_where_nothing_is_said_everything_is_unknown() -> None:
    found = read_findings("People told us they were happy living at the home.")
    assert found.to_dict() == {
        "source": "report_text",
        "breaches": None,
        "regulations": [],
        "special_measures": None,
        "enforcement": [],
        "summary": "People told us they were happy living at the home.",
    }


def test_an_empty_text_has_no_summary() -> None:
    assert read_findings("").summary is None
    assert read_findings("   \n\n ").summary is None


def test_the_summary_is_cut_at_a_sentence_end_within_600_characters() -> None:
    sentence = "Staff supported people with kindness and patience throughout the day. "
    found = read_findings("Overall summary\n" + sentence * 20)
    assert found.summary is not None
    assert len(found.summary) <= 600
    assert found.summary.endswith("throughout the day.")
    assert len(found.summary) > 600 - len(sentence)


def test_a_single_overlong_sentence_is_cut_at_a_word() -> None:
    found = read_findings("We found " + "very " * 200 + "little.")
    assert found.summary is not None and len(found.summary) <= 600
    assert found.summary.endswith("very…")


def test_a_list_of_fragments_a_colon_opens_is_shown_with_it() -> None:
    text = (
        "Overall summary\nWe found the provider was in breach of the following regulations:\n"
        "\u2022 Regulation 12 (Safe care and treatment)\n\u2022 Regulation 17 (Good governance)\n"
        "People told us staff were kind.\n"
    )
    assert read_findings(text).summary == (
        "We found the provider was in breach of the following regulations: Regulation 12 "
        "(Safe care and treatment); Regulation 17 (Good governance). People told us staff "
        "were kind."
    )


def test_a_colon_before_what_the_summary_cannot_show_is_left_out() -> None:
    prose = (
        "People were not kept safe from harm because risks to their health were not assessed "
        "and the plans to reduce them were not followed by staff."
    )
    text = (
        "Overall summary\nThe key questions are rated as:\nAre services safe? Inadequate\n"
        f"Are services well-led? Inadequate\n{prose}\n"
    )
    assert read_findings(text).summary == prose


def test_a_lead_in_whose_list_did_not_fit_is_left_out() -> None:
    item = "Staff supported people with kindness and patience throughout the whole day"
    text = "Overall summary\n" + "People were kept safe. " * 22  # the lead-in fits, no item
    text += "Our key findings were as follows:\n"
    text += "".join(f"\u2022 {item} {n}.\n" for n in range(5))
    summary = read_findings(text).summary
    assert summary is not None and summary.endswith("People were kept safe.")


def test_the_tables_and_the_follow_up_paragraphs_are_not_the_summary() -> None:
    text = (
        "Enforcement actions\nThe table below shows where regulations were not being met and "
        "we have taken enforcement action.\nRegulated activity\nRegulation\n"
        "Regulation 12 HSCA RA Regulations 2014 Safe care and treatment\n"
        "The provider must send CQC a report that says what action they are going to take.\n"
        "We will request an action plan from the provider to understand what they will do.\n"
        "Risks to people were not assessed.\n"
    )
    assert read_findings(text).summary == "Risks to people were not assessed."


def test_a_regulation_cited_after_a_table_of_ratings_is_no_breach() -> None:
    """Only a table of regulations not met turns the citations after it into breaches."""
    text = (
        "Ratings\nThe table below shows the ratings for each key question.\nSafe Good\n"
        "We checked whether the provider was meeting Regulation 12 HSCA RA Regulations 2014 "
        "Safe care and treatment.\n"
    )
    assert read_findings(text).breaches is None
    not_met = text.replace("the ratings for each key question", "where regulations were not met")
    assert read_findings(not_met).breaches == 1
