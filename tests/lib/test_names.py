from orchestration.lib.dbt.names import dagster_name, dagster_names, is_valid_dagster_name


def test_valid_names_are_kept_and_invalid_ones_become_readable_dagster_names():
    names = dagster_names(
        {
            "staging": "staging",
            "hyphen": "raw-data",
            "space": "01 core",
            "dot": "v1.2",
            "unicode": "données",
            "keyword": "class",
            "digits": "2024",
            "symbols": "!!!",
        }
    )
    assert names == {
        "staging": "staging",
        "hyphen": "raw_data",
        "space": "01_core",
        "dot": "v1_2",
        "unicode": "donnees",
        "keyword": "class_",
        "digits": "2024",
        "symbols": "dbt",
    }
    assert all(is_valid_dagster_name(name) for name in names.values())


def test_names_that_collide_once_sanitised_stay_apart_and_the_exact_one_keeps_its_name():
    names = dagster_names({"a": "raw-data", "b": "raw_data", "c": "raw data"}, prefix="dbt_")
    assert names["b"] == "dbt_raw_data"
    assert names["a"] != names["c"]
    assert names["a"].startswith("dbt_raw_data_") and names["c"].startswith("dbt_raw_data_")
    # The result of a key does not depend on the order of the others.
    again = dagster_names({"c": "raw data", "b": "raw_data", "a": "raw-data"}, prefix="dbt_")
    assert again == names


def test_identical_names_are_told_apart_by_their_keys():
    names = dagster_names({"test.p.x.1": "accepted_values_x", "test.p.x.2": "accepted_values_x"})
    assert len(set(names.values())) == 2
    assert all(n.startswith("accepted_values_x_") for n in names.values())


def test_long_names_are_cut_and_stay_unique():
    long_a, long_b = "t" * 300 + "a", "t" * 300 + "b"
    names = dagster_names({"a": long_a, "b": long_b})
    assert names["a"] != names["b"]
    assert all(len(n) <= 120 and is_valid_dagster_name(n) for n in names.values())
    assert dagster_name("ok_name") == "ok_name"
