"""Data-logger files: layouts, scales, zones and the hour the clocks repeat."""

import json
from datetime import datetime, timedelta

import pytest

from macli.errors import Invalid
from macli.qc import logger
from macli.when import zone
from tests.conftest import dump

NEW_YORK = zone("America/New_York")
FRIDGE = (200, 800)


def overnight_logtag(path):
    """LogTag-style: Date, Time, Temperature (°C) every 30 minutes for a day, out of
    range from 23:00 to 06:00 (worst 11.2 °C), back in range at 06:30."""
    lines = ["Logger: LTi-1234 Vaccines", "", "Date,Time,Temperature (°C)"]
    moment = datetime(2026, 11, 24, 12, 0)
    while moment <= datetime(2026, 11, 25, 12, 0):
        out = datetime(2026, 11, 24, 23, 0) <= moment <= datetime(2026, 11, 25, 6, 0)
        value = "11.2" if moment == datetime(2026, 11, 25, 3, 0) else ("9.4" if out else "4.6")
        lines.append(f"{moment:%m/%d/%Y},{moment:%I:%M:%S %p},{value}")
        moment += timedelta(minutes=30)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_overnight_excursion_holds_stock_until_released_and_discarded(run, fridge, tmp_path):
    path = overnight_logtag(tmp_path / "logtag.csv")
    result = run(f"qc import Vaccines {path}")
    assert "Imported 49 of 49 readings into fridge 'Vaccines'." in result.stdout
    assert "excursion 1" in result.stderr
    rows = json.loads(run("qc excursion list -f json").stdout)
    assert [(r["started"], r["duration"], r["worst"], r["held_lots"]) for r in rows] == [
        ("2026-11-24 23:00", "7 h 30 min", "11.2 °C", 2)
    ]
    refused = run("stock use FLU-QIV 1", expect=1).stderr
    assert (
        "DO NOT USE: fridge 'Vaccines' was at 11.2 °C for 7 h 30 min from 2026-11-24 23:00"
        in refused
    )
    run("stock use --kit 'vaccine visit'", expect=1)
    run("qc excursion act 1 --note 'called Apex, ref AV-88121'")
    run("qc excursion release 1 --lot FL1 --why 'Apex: usable, ref AV-88121'")
    run("qc excursion release 1 --lot MM1 --discard")
    assert json.loads(run("qc excursion show 1 -f json").stdout)["status"] == "closed"
    run("stock use FLU-QIV 1")


def test_importing_the_same_file_twice_adds_nothing(run, fridge, tmp_path, db_path):
    path = overnight_logtag(tmp_path / "logtag.csv")
    run(f"qc import Vaccines {path}")
    before = dump(db_path)
    result = run(f"qc import Vaccines {path}")
    assert "Nothing new: all 49 readings" in result.stdout
    assert dump(db_path) == before


def test_fahrenheit_hobo_export_with_offset_in_header(run, fridge, tmp_path, store):
    path = tmp_path / "hobo.csv"
    path.write_text(
        '"Plot Title: Vaccines"\n'
        '"#","Date Time, GMT-05:00","Temp, °F (LGR S/N: 2049)"\n'
        "1,11/25/26 08:00:00 AM,41.0\n"
        "2,11/25/26 08:05:00 AM,41.9\n"
        "3,11/25/26 08:10:00 AM,46.5\n"  # 8.06 °C: out of range
        "4,11/25/26 08:15:00 AM,45.0\n",
        encoding="utf-8",
    )
    run(f"qc import Vaccines {path}")
    rows = store.query("SELECT at, c100 FROM qc_readings ORDER BY at")
    assert rows[0] == {"at": "2026-11-25T13:00:00Z", "c100": 500}
    assert [r["c100"] for r in rows] == [500, 550, 806, 722]
    excursion = json.loads(run("qc excursion show 1 -f json").stdout)
    assert excursion["duration"] == "5 min" and excursion["worst"] == "8.06 °C"


def test_the_hour_repeated_when_clocks_fall_back_is_read_in_order():
    # 2026-11-01: New York falls back from 02:00 EDT to 01:00 EST.
    data = (
        "Timestamp,Temperature (C)\n"
        + "".join(
            f"2026-11-01 {clock},5.0\n"
            for clock in ("00:30", "01:00", "01:30", "01:00", "01:30", "02:00")
        )
    ).encode()
    readings = logger.parse(data, tz=NEW_YORK, band=FRIDGE)
    assert [at for at, _ in readings] == [
        "2026-11-01T04:30:00Z",
        "2026-11-01T05:00:00Z",
        "2026-11-01T05:30:00Z",
        "2026-11-01T06:00:00Z",
        "2026-11-01T06:30:00Z",
        "2026-11-01T07:00:00Z",
    ]


def test_a_file_from_another_zone():
    data = b"Timestamp,Temperature (C)\n2026-07-01 09:00,5.0\n2026-07-01 09:30,5.1\n"
    berlin = logger.parse(data, tz=NEW_YORK, band=FRIDGE, zone="Europe/Berlin")
    assert berlin[0][0] == "2026-07-01T07:00:00Z"
    fixed = logger.parse(data, tz=NEW_YORK, band=FRIDGE, zone="UTC-05:00")
    assert fixed[0][0] == "2026-07-01T14:00:00Z"
    iso = b"time,temp_c\n2026-07-01T09:00:00+02:00,5.0\n2026-07-01T07:30:00Z,5.2\n"
    assert [at for at, _ in logger.parse(iso, tz=NEW_YORK, band=FRIDGE)] == [
        "2026-07-01T07:00:00Z",
        "2026-07-01T07:30:00Z",
    ]
    with pytest.raises(Invalid, match="sprang forward"):
        logger.parse(b"Timestamp,Temp (C)\n2026-03-08 02:30,5\n", tz=NEW_YORK, band=FRIDGE)


def test_named_columns_and_semicolons():
    data = "Zeitpunkt;Wert;Kanal\n30.11.2026 08:00;5,5;1\n".replace("5,5", "5.5").encode()
    readings = logger.parse(
        data,
        tz=NEW_YORK,
        band=FRIDGE,
        time_column="Zeitpunkt",
        temp_column="Wert",
        scale="C",
        date_order="dmy",
    )
    assert readings == [("2026-11-30T13:00:00Z", 550)]


def test_bad_files_are_one_error_and_nothing_written(run, fridge, tmp_path, db_path):
    before = dump(db_path)
    cases = {
        "no-temp.csv": "Timestamp,Battery\n2026-11-25 08:00,98\n",
        "no-scale.csv": "Timestamp,Reading\n2026-11-25 08:00,5.1\n",
        "bad-time.csv": "Timestamp,Temperature (°C)\n2026-11-25 08:00,5.1\nsoon,5.2\n",
        "ambiguous-date.csv": "Date,Time,Temperature (°C)\n03/04/2026,08:00,5.1\n",
        "future.csv": "Timestamp,Temperature (°C)\n2026-12-25 08:00,5.1\n",
    }
    for name, text in cases.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        args = f"qc import Vaccines {path}" + (" --temp-column Reading" if "scale" in name else "")
        result = run(args, expect=1)
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, name
    assert (
        "temperature column"
        in run(f"qc import Vaccines {tmp_path / 'no-temp.csv'}", expect=1).stderr
    )
    assert dump(db_path) == before


def test_temps_lists_and_draws_against_the_band(run, fridge, tmp_path):
    run(f"qc import Vaccines {overnight_logtag(tmp_path / 'logtag.csv')}")
    shown = run("qc temps Vaccines --days 3").stdout
    assert "Vaccines: °C, allowed 2 to 8" in shown  # the plotext drawing's title
    assert "2026-11-25 03:00  logger  11.2" in shown
    rows = json.loads(run("qc temps Vaccines --days 3 -f json").stdout)
    assert len(rows) == 49 and sum(r["in_range"] == "NO" for r in rows) == 15
