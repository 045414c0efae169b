"""Generated covers: valid SVG, escaped text, one look per book."""

import xml.etree.ElementTree as ET

import pytest

from bookshop.covers import MOTIFS, CoverStyle, render_cover

STYLE = {"background": "#1f3a5f", "ink": "#f4efe6", "accent": "#e0a33a", "motif": "rings"}


@pytest.mark.parametrize("motif", sorted(MOTIFS))
def test_every_motif_draws_a_well_formed_svg(motif):
    style = CoverStyle.from_mapping({**STYLE, "motif": motif})
    svg = render_cover("The Art of Doing Science and Engineering", "Richard Hamming", style, "x")
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "RICHARD HAMMING" in svg


def test_titles_are_escaped_not_injected():
    style = CoverStyle.from_mapping(STYLE)
    svg = render_cover('Tom & Jerry <script>alert("x")</script>', "A <b>", style, "seed")
    ET.fromstring(svg)
    assert "<script>" not in svg
    assert "&amp;" in svg


def test_covers_are_repeatable_and_differ_between_books():
    style = CoverStyle.from_mapping({**STYLE, "motif": "grid"})
    first = render_cover("Title", "Author", style, "book-one")
    assert first == render_cover("Title", "Author", style, "book-one")
    assert first != render_cover("Title", "Author", style, "book-two")


@pytest.mark.parametrize("change", [{"background": "red"}, {"ink": "#12345"}, {"motif": "spirals"}])
def test_bad_styles_are_refused(change):
    with pytest.raises(ValueError):
        CoverStyle.from_mapping({**STYLE, **change})


def test_styles_round_trip_through_json():
    style = CoverStyle.from_mapping(STYLE)
    assert CoverStyle.from_json(style.to_json()) == style
