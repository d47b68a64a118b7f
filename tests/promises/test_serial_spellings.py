"""R-CAN-2: the same units never count twice, whatever the spelling of their serial numbers.

Property tests over the serial model (processes/serials.py): any two ranges written in any spelling
overlap exactly when their unit sets intersect, and a range never differs from itself re-spelt.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.offsets import Registry
from processes import serials
from processes.errors import Invalid

SEPARATORS = ["-", " ", "", "_", ".", "－", "—", "–", "‐", "−", "　", "·", " - ", "/", "~", "+", "\t"]
GENERIC = [Registry.SD_INCLUSION_PLATFORM, Registry.CCER_REGISTRY, Registry.NATIONAL_CARBON_MARKET, Registry.OTHER]
ASCII = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FULL_WIDTH = str.maketrans(ASCII, "".join(chr(ord(c) + 0xFEE0) for c in ASCII))


@st.composite
def shape(draw: st.DrawFn, parts: int, separated: bool = False) -> tuple:
    """One way of writing a serial: separators between its parts, case, full width, blanks around."""
    seps = [draw(st.sampled_from([s for s in SEPARATORS if s or not separated])) for _ in range(parts - 1)]
    return (seps, [draw(st.booleans()) for _ in range(parts)], [draw(st.booleans()) for _ in range(parts)],
            draw(st.sampled_from(["", " ", "　"])), draw(st.sampled_from(["", " "])))


def write(parts: list[str], how: tuple) -> str:
    seps, lower, wide, before, after = how
    out = []
    for i, part in enumerate(parts):
        if i:
            out.append(seps[i - 1])
        part = part.lower() if lower[i] else part
        out.append(part.translate(FULL_WIDTH) if wide[i] else part)
    return before + "".join(out) + after


@st.composite
def spelling(draw: st.DrawFn, parts: list[str], separated: bool = False) -> str:
    return write(parts, draw(shape(len(parts), separated)))


series = st.tuples(st.sampled_from(["SDPH", "CCER", "CEA", "JNTH"]), st.sampled_from(["LY", "HY", "QT"]),
                   st.integers(2015, 2030))
numbers = st.integers(0, 10**9)


def generic_parts(key: tuple[str, str, int], number: int, pad: int) -> list[str]:
    return [key[0], key[1], str(key[2]), str(number).zfill(pad)]


@settings(max_examples=300, deadline=None)
@given(data=st.data(), registry=st.sampled_from(GENERIC), registry2=st.sampled_from(GENERIC), key=series,
       a=numbers, b=numbers, c=numbers, d=numbers, key2=series, pad=st.integers(10, 12), pad2=st.integers(10, 12))
def test_r_can_2_generic_ranges_overlap_exactly_when_units_intersect(data, registry, registry2, key, a, b, c, d,
                                                                     key2, pad, pad2):
    """The Chinese registries and `other` share one namespace; separators never matter, and neither
    does zero padding while the running number stands apart (a running number glued to the year
    with another padding is another number: `…2023000005` vs `…20230000000005`)."""
    (a, b), (c, d) = sorted((a, b)), sorted((c, d))
    how, how2 = data.draw(shape(4)), data.draw(shape(4))
    first = serials.parse(registry, write(generic_parts(key, a, pad), how), write(generic_parts(key, b, pad), how))
    second = serials.parse(registry2, write(generic_parts(key2, c, pad2), how2),
                           write(generic_parts(key2, d, pad2), how2), registry_name="any name")
    assert first.size == b - a + 1
    if pad == pad2 or (how[0][2] and how2[0][2]):
        assert first.overlaps(second) == (key == key2 and a <= d and c <= b)
    elif not (key == key2 and a <= d and c <= b):
        assert not first.overlaps(second)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), registry=st.sampled_from(GENERIC), key=series, a=numbers, length=st.integers(0, 10**6),
       pad=st.integers(1, 12))
def test_r_can_2_generic_range_is_itself_in_any_spelling(data, registry, key, a, length, pad):
    parts_a, parts_b = generic_parts(key, a, 10), generic_parts(key, a + length, 10)
    how, how2 = data.draw(shape(4)), data.draw(shape(4))
    one = serials.parse(registry, write(parts_a, how), write(parts_b, how))
    two = serials.parse(registry, write(parts_a, how2), write(parts_b, how2))
    assert one.overlaps(two) and two.overlaps(one)
    if how[0][2]:  # a running number written apart from the year: its zero padding never frees the units
        padded = serials.parse(registry, write(generic_parts(key, a, pad), how),
                               write(generic_parts(key, a + length, pad), how))
        assert padded.overlaps(one)


def verra_parts(batch: int, first: int, last: int, project: int) -> list[str]:
    return [str(batch), str(first), str(last), "VCS", "VCU", "1507", "VER", "ET", "14", str(project),
            "01012020", "31122020", "1"]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), a=st.integers(1, 10**9), b=st.integers(1, 10**9), c=st.integers(1, 10**9),
       d=st.integers(1, 10**9), batch=st.integers(1, 99999), batch2=st.integers(1, 99999))
def test_r_can_2_verra_blocks_overlap_exactly_when_units_intersect(data, a, b, c, d, batch, batch2):
    """Verra numbers its units registry-wide: a sub-block re-issued under another batch still overlaps."""
    (a, b), (c, d) = sorted((a, b)), sorted((c, d))
    first = serials.parse(Registry.VERRA, data.draw(spelling(verra_parts(batch, a, b, 1340), True)))
    second = serials.parse(Registry.VERRA, data.draw(spelling(verra_parts(batch2, c, d, 3005), True)))
    assert first.overlaps(second) == (a <= d and c <= b)
    assert (first.first, first.last, first.size) == (a, b, b - a + 1)


def gs_parts(project: int, vintage: int, batch: int, first: int, last: int) -> list[str]:
    return ["GS1", "1", "KE", f"GS{project}", "16", str(vintage), str(batch), str(first), str(last)]


@settings(max_examples=200, deadline=None)
@given(data=st.data(), a=st.integers(1, 10**7), b=st.integers(1, 10**7), c=st.integers(1, 10**7),
       d=st.integers(1, 10**7), batch=st.sampled_from([30256, 30255]), batch2=st.sampled_from([30256, 30255]),
       pad=st.integers(0, 3))
def test_r_can_2_gold_standard_blocks_overlap_exactly_when_units_intersect(data, a, b, c, d, batch, batch2, pad):
    (a, b), (c, d) = sorted((a, b)), sorted((c, d))
    first = serials.parse(Registry.GOLD_STANDARD, data.draw(spelling(gs_parts(11603, 2025, batch, a, b), True)))
    padded = [p if not p.isdigit() else p.zfill(len(p) + pad) for p in gs_parts(11603, 2025, batch2, c, d)]
    second = serials.parse(Registry.GOLD_STANDARD, data.draw(spelling(padded, True)))
    assert first.overlaps(second) == (batch == batch2 and a <= d and c <= b)


@pytest.mark.parametrize("text", [
    "19328-940005924-940008531-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0",
    "19328 940005924 940008531 VCS VCU 263 VER IN 1 1748 01012016 31122016 0",
    "１９３２８－９４０００５９２４－９４０００８５３１－ｖｃｓ－ｖｃｕ－２６３",
])
def test_r_can_2_verra_block_serial_is_its_start_to_end_range(text):
    units = serials.parse(Registry.VERRA, text)
    assert (units.first, units.last, units.size) == (940005924, 940008531, 2608)


def test_r_can_2_verra_sub_block_inside_a_cancelled_block_overlaps():
    block = serials.parse(Registry.VERRA, "19328-940005924-940008531-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0")
    inside = serials.parse(Registry.VERRA, "20001-940006000-940006009-VCS-VCU-263-VER-IN-1-1748-01012016-31122016-0")
    bare = serials.parse(Registry.VERRA, "940008531")
    assert block.overlaps(inside) and block.overlaps(bare) and inside.size == 10


def test_r_can_2_gold_standard_block_serial_is_its_range():
    units = serials.parse(Registry.GOLD_STANDARD, "GS1-1-KE-GS11603-16-2025-30256-110-5463")
    assert (units.first, units.last, units.size) == (110, 5463, 5354)


@pytest.mark.parametrize(("registry", "text"), [
    (Registry.GOLD_STANDARD, "GS11KEGS11603162025302561105463"),  # no separators: fields unknown
    (Registry.GOLD_STANDARD, "VCS-12-34"),
    (Registry.VERRA, "GS1-1-KE-GS11603-16-2025-30256-110-5463"),
    (Registry.VERRA, "19328-940008531-940005924-VCS-VCU-263"),  # ends before it starts
    (Registry.SD_INCLUSION_PLATFORM, "SDPH-LY-ABC"),
    (Registry.CCER_REGISTRY, "CCER-" + "9" * 40),  # fine: the leading digits join the series
])
def test_r_can_2_unparseable_serials_refused_with_the_expected_format(registry, text):
    if registry is Registry.CCER_REGISTRY:
        units = serials.parse(registry, text)
        assert units.last == 10**18 - 1 and units.key.startswith("g|CCER")
        return
    with pytest.raises(Invalid) as err:
        serials.parse(registry, text, field_prefix="cancellations-0-")
    assert "cancellations-0-serial_from" in err.value.fields


def test_r_can_2_range_across_series_refused():
    with pytest.raises(Invalid) as err:
        serials.parse(Registry.GOLD_STANDARD, "GS1-1-KE-GS11603-16-2025-30256-110-200",
                      "GS1-1-KE-GS11603-16-2025-30255-300-400")
    assert "serial_to" in err.value.fields
