"""A PDF text extract made readable: page furniture out, hyphenation undone, lines joined
into paragraphs and sentences, typography made plain. The texts are constructed."""

from __future__ import annotations

from monitor.domain.report_text import normalise, prepare


def sentences(text: str, name: str | None = None) -> list[str]:
    return [s.text for s in prepare(text, location_name=name).sentences if not s.heading]


def test_a_footer_and_header_in_mid_sentence_are_taken_out() -> None:
    text = (
        "People were not protected from the risk of harm because staff did not\n"
        "3 Oak Lodge Inspection report 20 April 2022\n"
        "Summary of findings\n"
        "follow the guidance in their care plans.\n"
    )
    assert sentences(text) == [
        "People were not protected from the risk of harm because staff did not follow the "
        "guidance in their care plans."
    ]


def test_a_word_hyphenated_across_a_page_break_is_whole_again() -> None:
    text = (
        "The provider had failed to ensure the safe manage-\n"
        "Page 4 of 12\n"
        "Oak Lodge\n"
        "ment of medicines.\n"
    )
    assert sentences(text, "Oak Lodge") == [
        "The provider had failed to ensure the safe management of medicines."
    ]


def test_a_compound_keeps_its_hyphen() -> None:
    text = (
        "Care was not person-\ncentred and records were not up-\nto-date. "
        "Care plans were person-centred elsewhere.\n"
    )
    assert sentences(text)[0] == "Care was not person-centred and records were not up-to-date."


def test_footers_inline_as_a_transcription_leaves_them() -> None:
    text = (
        "Outpatients and diagnostic imaging Good "
        "1 Marsh Lane Hospital Quality Report 12/01/2015\n\n"
        "2 Summary of findings Letter from the Chief Inspector of Hospitals "
        "We found two breaches.\n"
    )
    found = [s.text for s in prepare(text).sentences]
    assert found[0] == "Outpatients and diagnostic imaging Good"
    assert found[1].startswith("Summary of findings Letter")
    assert "Quality Report" not in " ".join(found)


def test_the_location_name_as_a_running_header_is_furniture() -> None:
    text = "Oak Lodge\nWe found a breach of regulation 12.\nOak Lodge\nStaff were kind.\n"
    assert sentences(text, "Oak Lodge") == [
        "We found a breach of regulation 12.",
        "Staff were kind.",
    ]


def test_page_numbers_alone_on_a_line_go() -> None:
    assert sentences("Staff were kind.\n12\n- 13 -\nPage 14\nPeople were safe.\n") == [
        "Staff were kind.",
        "People were safe.",
    ]


def test_lines_that_repeat_page_after_page_go_but_never_a_finding() -> None:
    page = "Summary of this inspection\nPeople were safe on page {n}.\n"
    text = "".join(page.format(n=n) for n in range(4))
    text += "We found a breach of regulation 12.\n" * 3
    found = sentences(text)
    assert "Summary of this inspection" not in " ".join(found)
    assert found.count("We found a breach of regulation 12.") == 3


def test_typography_is_made_plain() -> None:
    text = (
        "People\u2019s \u201ccare\u201d was \ufb01ne\u00a0and\u200b safe\u2014mostly."
        "\tStaff\u2019s ro\u00adtas."
    )
    assert normalise(text) == "People's \"care\" was fine and safe\u2013mostly. Staff's rotas."


def test_bullets_of_any_font_start_items() -> None:
    text = "We found:\n\uf0b7 Medicines were not safe.\n\u25cf Staff were not trained.\n"
    assert sentences(text) == ["We found:", "Medicines were not safe.", "Staff were not trained."]


def test_a_heading_stands_alone_and_a_paragraph_ends_at_its_short_last_line() -> None:
    text = (
        "About the service\n"
        "Oak Lodge is a residential care home providing personal care to up to twenty people\n"
        "aged 65 and over.\n"
        "People's experience of using this service and what we found\n"
        "People felt safe.\n"
    )
    found = prepare(text).blocks
    assert [(block.heading, block.text[:20]) for block in found] == [
        (True, "About the service"),
        (False, "Oak Lodge is a resid"),
        (True, "People's experience "),
        (False, "People felt safe."),
    ]


def test_abbreviations_do_not_end_a_sentence() -> None:
    assert sentences("Staff e.g. nurses and Dr. Smith were there. It was fine.") == [
        "Staff e.g. nurses and Dr. Smith were there.",
        "It was fine.",
    ]


def test_windows_line_ends_form_feeds_and_control_characters() -> None:
    assert sentences("Staff were kind.\r\n\fPeople\x07 were safe.\r") == [
        "Staff were kind.",
        "People were safe.",
    ]
