//! Tests outside the runner that enforce numbered requirements, declared
//! here by name with the ids they test: the registry `jpki-conformance
//! coverage` lists beside each requirement's checks. Chiefly they enforce
//! what the runner cannot do to someone else's product (crash a server,
//! race two instances, read the e-mail it sends, restart it without test
//! mode) on the reference itself, and the suite's own parts.
//!
//! A test (`tests/suite/cli.rs`) holds every entry to a `#[test]` function
//! of that name in that file, and every id to the spec; a test not listed
//! here is simply not shown (its citations in comments are still read by
//! `reference/tests/suite/spec_ids.rs`).

/// One declared test.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnitTest {
    /// The file that holds it, from the project root.
    pub file: &'static str,
    /// The test function's name.
    pub name: &'static str,
    /// The requirements it tests.
    pub requirements: &'static [&'static str],
}

impl UnitTest {
    /// `file::name`, as the coverage listing shows it.
    pub fn label(&self) -> String {
        format!("{}::{}", self.file, self.name)
    }
}

const fn test(file: &'static str, name: &'static str, requirements: &'static [&'static str]) -> UnitTest {
    UnitTest { file, name, requirements }
}

const CRASH: &str = "conformance/tests/suite/crash.rs";
const POSTGRES: &str = "conformance/tests/suite/postgres.rs";
const WALKTHROUGH: &str = "conformance/tests/suite/walkthrough.rs";
const HTTP: &str = "conformance/tests/suite/http.rs";
const PROPERTY: &str = "conformance/tests/suite/property.rs";

/// Every declared test.
pub const ALL: &[UnitTest] = &[
    test(CRASH, "a_server_killed_at_every_failpoint_restarts_with_nothing_lost", &["NTF-003", "INV-012"]),
    test(POSTGRES, "postgres_a_server_killed_at_every_failpoint_restarts_with_nothing_lost", &["NTF-003"]),
    test(
        POSTGRES,
        "postgres_two_instances_racing_migrations_for_one_holder_let_exactly_one_win",
        &["HTTP-012", "MIG-004"],
    ),
    test(POSTGRES, "postgres_one_idempotency_key_sent_to_two_instances_has_one_effect", &["HTTP-012", "HTTP-008"]),
    test(POSTGRES, "postgres_a_revocation_racing_a_use_on_another_instance_is_one_or_the_other", &["HTTP-012"]),
    test(POSTGRES, "postgres_every_instance_delivers_and_each_notification_arrives_once", &["HTTP-012", "NTF-003"]),
    test(HTTP, "the_load_generator_runs_whole_lives_and_judges_the_servers_once_at_the_end", &["HTTP-012"]),
    test(HTTP, "test_controls_exist_only_in_test_mode_on_loopback", &["HTTP-010"]),
    test(HTTP, "a_status_list_chunk_is_read_with_get_and_nothing_else", &["HTTP-013"]),
    test(WALKTHROUGH, "the_readme_walkthrough_passes_with_every_e_mail_read_back", &["NTF-002", "NTF-003"]),
    test(WALKTHROUGH, "the_walkthrough_fails_against_a_server_that_sends_no_e_mail", &["NTF-003"]),
    test(WALKTHROUGH, "a_refused_or_malformed_address_goes_to_the_operator_and_holds_up_nothing", &["NTF-003"]),
    test(PROPERTY, "wrong_secrets_in_a_row_move_a_card_key_to_locked", &["PIN-001", "PIN-002"]),
    test(PROPERTY, "the_reference_matches_its_model_and_the_run_fires_every_observable_transition", &["INV-011"]),
    test("conformance/src/checks/encoding.rs", "a_non_deterministic_item_fails_on_enc_014", &["ENC-014"]),
    test("reference/src/machines.rs", "terminal_states_are_the_protocol_s", &["SUS-005", "REV-001"]),
    test("reference/src/status_list.rs", "the_drafts_one_bit_example_reads_lsb_first", &["STL-002"]),
    test("reference/src/status_list.rs", "inflation_is_bounded_and_whole", &["STL-003"]),
    test(
        "reference/src/status_list.rs",
        "a_reader_refuses_a_stale_or_mismatched_or_wrongly_signed_token",
        &["STL-005", "STL-006"],
    ),
];
