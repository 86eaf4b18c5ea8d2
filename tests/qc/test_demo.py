"""The demo's lab upkeep: three months of readings, one excursion handled, one open."""

import json


def test_demo_lab_has_units_readings_excursions_and_an_autoclave(demo_db, run):
    units = json.loads(run("qc unit list -f json").stdout)
    assert sorted((u["name"], u["kind"]) for u in units) == [
        ("Lab fridge", "fridge"),
        ("Vaccines", "fridge"),
        ("Varicella freezer", "freezer"),
    ]
    readings = json.loads(run("qc temps Vaccines --days 90 -f json").stdout)
    assert len(readings) > 90 * 48
    found = json.loads(run("qc excursion list -f json").stdout)
    assert sorted(e["status"] for e in found) == ["closed", "open"]
    still_open = next(e for e in found if e["status"] == "open")
    assert still_open["unit"] == "Varicella freezer" and still_open["open_holds"] == 1
    refused = run("stock use VAR-VZV 1", expect=1).stderr
    assert "DO NOT USE: freezer 'Varicella freezer'" in refused
    handled = json.loads(run(f"qc excursion show {min(e['id'] for e in found)} -f json").stdout)
    assert handled["log"] and all(lot["outcome"] == "released" for lot in handled["lots"])
    assert all(step["done"] for step in handled["steps"])
    autoclave = json.loads(run("qc sterilizer list -f json").stdout)[0]
    assert autoclave["status"] == "in service" and autoclave["spore_test"] == "ok"
    tests = json.loads(run("qc spores Autoclave --days 91 -f json").stdout)
    assert len(tests) >= 12 and {t["result"] for t in tests} == {"pass"}
    due = json.loads(run("qc due -f json").stdout)
    assert {d["kind"] for d in due} == {"excursion", "temperature check"}
