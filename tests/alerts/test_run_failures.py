"""What a run-failure alert says about a failed step: dbt's own error, in one line."""

from orchestration.alerts.run_failures import error_summary

DBT_FAILURE = (
    "dagster_dbt.errors.DagsterDbtCliRuntimeError: The dbt CLI process with command\n\n"
    "`dbt build --select fqn:pkg.a fqn:pkg.b`\n\nfailed with exit code `1`.\n\n"
    "Errors parsed from dbt logs:\n\n"
    "1 of 2 ERROR creating sql table model main.a ........ [\x1b[31mERROR\x1b[0m in 0.17s]\n\n"
    "[\x1b[31mERROR\x1b[0m]: in model a (models/a.sql)\n\n"
    "  Runtime Error in model a (models/a.sql)\n"
    "  Catalog Error: Table with name missing does not exist!\n"
    "  Did you mean ...?\n\n"
    "  Database Error in model b (models/b.sql)\n"
    "  division by zero\n"
)


def test_dbt_step_failure_is_summarised_as_dbts_error_per_model():
    assert error_summary(DBT_FAILURE) == (
        "Runtime Error in model a (models/a.sql): Catalog Error: Table with name missing does "
        "not exist!; Database Error in model b (models/b.sql): division by zero"
    )


def test_other_failures_keep_their_first_line():
    assert error_summary("ValueError: boom\n  at line 3") == "ValueError: boom"
    assert error_summary(None) == ""
