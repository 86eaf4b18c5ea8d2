import pytest


@pytest.fixture
def patient(run):
    run(["patient", "add", "Ana García", "--dob", "1984-03-02"])
    run(["patient", "add", "Ben Okafor", "--dob", "1990-07-15"])
    return "P000001"
