//! The test controls (spec/http.md §5): set up and observe a server the
//! suite drives. Offered only in test mode on loopback (HTTP-010).

use ciborium::Value;
use jpki_reference::issuer::{CardEvent, IssuerState};
use jpki_reference::mutants::Mutation;
use jpki_reference::observation::{IssuerObservation, StatusObservation, VerifierObservation};
use jpki_reference::status::StatusState;
use jpki_reference::verifier::VerifierState;
use jpki_reference::{Code, Error, Result, issuer};

use crate::app::{Answer, App, Clock, Inner};
use crate::failpoint;
use crate::roles::Roles;
use crate::store::{self, IssuerTables, StatusTables, VerifierTables};

fn malformed(detail: impl Into<String>) -> Error {
    Error::with_detail(Code::Malformed, detail.into())
}

fn body_map(body: &[u8]) -> Result<Vec<(Value, Value)>> {
    match ciborium::from_reader::<Value, _>(body) {
        Ok(Value::Map(entries)) => Ok(entries),
        Ok(_) => Err(malformed("a control's body is a CBOR map")),
        Err(e) => Err(malformed(format!("a control's body: {e}"))),
    }
}

fn field<'a>(entries: &'a [(Value, Value)], name: &str) -> Option<&'a Value> {
    entries.iter().find(|(k, _)| k.as_text() == Some(name)).map(|(_, v)| v)
}

fn bytes_field(entries: &[(Value, Value)], name: &str) -> Result<Vec<u8>> {
    field(entries, name).and_then(Value::as_bytes).cloned().ok_or_else(|| malformed(format!("`{name}`: a bstr")))
}

fn uint_field(entries: &[(Value, Value)], name: &str) -> Result<u64> {
    field(entries, name)
        .and_then(Value::as_integer)
        .and_then(|i| u64::try_from(i).ok())
        .ok_or_else(|| malformed(format!("`{name}`: an unsigned integer")))
}

fn text_field(entries: &[(Value, Value)], name: &str) -> Result<String> {
    field(entries, name)
        .and_then(Value::as_text)
        .map(str::to_owned)
        .ok_or_else(|| malformed(format!("`{name}`: a tstr")))
}

fn cbor(value: &impl serde::Serialize) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    ciborium::into_writer(value, &mut out).map_err(|e| Error::with_detail(Code::ServerFault, e.to_string()))?;
    Ok(out)
}

fn empty() -> Result<Vec<u8>> {
    cbor(&Value::Map(vec![]))
}

fn observation<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T> {
    ciborium::from_reader(body).map_err(|e| malformed(format!("an observation: {e}")))
}

/// The `meta` key of the test clock (kept across restarts in test mode).
pub const TEST_CLOCK: &str = "test-clock";
/// The `meta` key of the Status address the `status-address` control set.
pub const STATUS_ADDRESS: &str = "status-address";

/// Runs the control at `path` (after `/jpki/test/`).
pub fn control(app: &App, path: &str, body: &[u8]) -> Answer {
    let outcome = run(app, path, body);
    // a card event revokes: its feed goes out like a step's (HTTP-011)
    if path == "card-event" {
        app.send_feed();
    }
    match outcome {
        Ok(body) => Answer { status: 200, body },
        Err(error) => Answer::refusal(&error),
    }
}

fn run(app: &App, path: &str, body: &[u8]) -> Result<Vec<u8>> {
    let mut inner = app.lock_step()?;
    let Inner { store, roles, clock, status_address, seed } = &mut *inner;
    match path {
        "reset" => {
            let entries = body_map(body)?;
            let seed_bytes: [u8; 32] =
                bytes_field(&entries, "seed")?.try_into().map_err(|_| malformed("`seed`: 32 bytes"))?;
            let now = uint_field(&entries, "clock")?;
            let mutation = match field(&entries, "mutation") {
                None => None,
                Some(_) => {
                    let name = text_field(&entries, "mutation")?;
                    Some(Mutation::from_name(&name).ok_or_else(|| malformed(format!("no mutant {name}")))?)
                }
            };
            let keep = matches!(field(&entries, "keep"), Some(Value::Bool(true)));
            // seeded randomness only on an empty store: on kept records a
            // restarted stream would draw the nonces and serials it drew before
            *roles = Roles::from_seed(seed_bytes, mutation, !keep, &app.platform_roots)?;
            app.set_verifier_ids(roles.verifiers.keys().cloned().collect());
            *clock = Clock::Fixed(now);
            *status_address = None;
            *seed = (seed_bytes, mutation);
            store.write(|tx| {
                if !keep {
                    store::clear(tx)?;
                }
                store::meta_set(tx, "seed", &seed_bytes)?;
                store::meta_set_u64(tx, TEST_CLOCK, now)?;
                store::meta_delete(tx, STATUS_ADDRESS)
            })?;
            let hosted: Vec<Value> = app.hosted.iter().map(|r| Value::Text(r.as_str().to_owned())).collect();
            let identity = match mutation {
                Some(m) => format!("jpki-mobile reference server (mutant {})", m.name()),
                None => "jpki-mobile reference server".to_owned(),
            };
            cbor(&Value::Map(vec![
                (Value::Text("identity".into()), Value::Text(identity)),
                (Value::Text("roles".into()), Value::Array(hosted)),
            ]))
        }
        "clock" => {
            let now = uint_field(&body_map(body)?, "now")?;
            // kept in the store, so a server restarted on it keeps its test clock
            store.write(|tx| store::meta_set_u64(tx, TEST_CLOCK, now))?;
            *clock = Clock::Fixed(now);
            empty()
        }
        "status-address" => {
            // a text URL, or null for this server's own Status; kept like the clock
            let entries = body_map(body)?;
            let url = match field(&entries, "url") {
                Some(Value::Null) => None,
                _ => Some(text_field(&entries, "url")?),
            };
            store.write(|tx| match &url {
                Some(url) => store::meta_set(tx, STATUS_ADDRESS, url.as_bytes()),
                None => store::meta_delete(tx, STATUS_ADDRESS),
            })?;
            *status_address = url;
            empty()
        }
        "observe/issuer" => cbor(&store.write(|tx| IssuerTables::new(tx).state())?.observe()),
        "observe/status" => cbor(&store.write(|tx| StatusTables::new(tx).state())?.observe()),
        "load/issuer" => {
            let state = IssuerState::from_observation(observation::<IssuerObservation>(body)?);
            store.write(|tx| IssuerTables::new(tx).replace(&state))?;
            empty()
        }
        "load/status" => {
            let state = StatusState::from_observation(observation::<StatusObservation>(body)?);
            store.write(|tx| StatusTables::new(tx).replace(&state))?;
            empty()
        }
        "register-card" => {
            let entries = body_map(body)?;
            let (auth, sign) = (bytes_field(&entries, "auth")?, bytes_field(&entries, "sign")?);
            let not_after = uint_field(&entries, "not_after")?;
            store.write(|tx| {
                let tables = IssuerTables::new(tx);
                let writes = issuer::register_card(&roles.issuer, &tables, &auth, &sign, not_after)?;
                tables.apply(&writes)
            })?;
            empty()
        }
        "card-event" => {
            let entries = body_map(body)?;
            let holder = bytes_field(&entries, "holder")?;
            let event = match text_field(&entries, "event")?.as_str() {
                "sign_revoked" => CardEvent::SignRevoked,
                "auth_revoked" => CardEvent::AuthRevoked,
                other => return Err(malformed(format!("no card event {other}"))),
            };
            let now = clock.now();
            let digest = roles.provider.sha256(body);
            store.write(|tx| {
                let tables = IssuerTables::new(tx);
                let (writes, output) = issuer::card_event(roles.provider, &roles.issuer, &tables, &holder, event, now)?;
                tables.apply(&writes)?;
                store::queue_feed(tx, &output.status_feed)?;
                let entry = store::audit::Entry {
                    time: now,
                    path: "/jpki/test/card-event",
                    outcome: "ok",
                    requirement: "",
                    body_digest: &digest,
                };
                store::audit::append(tx, &entry)?;
                failpoint::hit(failpoint::CARD_EVENT_BEFORE_COMMIT);
                Ok(())
            })?;
            failpoint::hit(failpoint::CARD_EVENT_AFTER_COMMIT);
            empty()
        }
        other => {
            if let Some(rp) = other.strip_prefix("observe/verifier/") {
                if !roles.verifiers.contains_key(rp) {
                    return Err(Error::new(Code::UnknownEndpoint, "no such verifier"));
                }
                return cbor(&store.write(|tx| VerifierTables::new(tx, rp).state())?.observe());
            }
            if let Some(rp) = other.strip_prefix("load/verifier/") {
                if !roles.verifiers.contains_key(rp) {
                    return Err(Error::new(Code::UnknownEndpoint, "no such verifier"));
                }
                let state = VerifierState::from_observation(observation::<VerifierObservation>(body)?);
                store.write(|tx| VerifierTables::new(tx, rp).replace(&state))?;
                return empty();
            }
            Err(Error::new(Code::UnknownEndpoint, "no such test control"))
        }
    }
}
