//! The README's walkthrough, run as the README gives it: `serve` with its
//! e-mail sent by SMTP, and `walkthrough` against it, the e-mails read back
//! from the walkthrough's own SMTP server; the same against a server that
//! sends no e-mail fails (NTF-003). And `serve --chaos`: a wallet that
//! sends the same request again through refused, late and dropped answers
//! ends with one issuance (ISS-016).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;
use std::time::{Duration, Instant};

use jpki_bindings::http::roles::HttpBinding;
use jpki_conformance::checks::context::{self, Sut};
use jpki_conformance::checks::served::Served as ServedRoles;
use jpki_reference::Code;
use jpki_reference::http::Endpoint;
use jpki_reference::msgs::Message;
use jpki_reference::msgs::error_msg::ErrorMessage;
use jpki_reference::notify::Event;
use jpki_reference::world::{IssueParams, World};
use jpki_server::client::Client;

use crate::live::{LiveServer, fresh_folder};

/// A loopback port nothing listens on just now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn walkthrough(url: &str, mail: &str, wait: &str, wallet: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jpki-conformance"));
    command.args(["walkthrough", "--server", url, "--mail-listen", mail, "--mail-wait", wait]);
    if let Some(wallet) = wallet {
        command.args(["--wallet", wallet]);
    }
    let out = command.output().unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_readme_walkthrough_passes_with_every_e_mail_read_back() {
    let mail = format!("127.0.0.1:{}", free_port());
    let data = fresh_folder("walkthrough");
    let server = LiveServer::start(&data, "127.0.0.1:0", &["--smtp", &mail]);
    let (passed, said) = walkthrough(&server.url, &mail, "30", None);
    assert!(passed, "{said}");
    assert!(said.contains("walkthrough passed"), "{said}");
    // ten steps, and an e-mail for each notification: issued, used ×3,
    // migrated, wiped ×2, revoked (lost), issued, revoked (device)
    assert!(said.contains("10. revoked the third phone"), "{said}");
    // (the migration gives the address the world's migration intents carry)
    let mails = said.lines().filter(|l| l.trim_start().starts_with("to ") && l.contains("@mail.example.jp: ")).count();
    assert!(mails >= 10, "{mails} e-mails:\n{said}");
}

#[test]
fn the_walkthrough_drives_a_vendors_wallet_through_the_shim() {
    // the README's vendor recipe, with the reference adapter as the vendor's wallet
    let mail = format!("127.0.0.1:{}", free_port());
    let data = fresh_folder("walkthrough-shim");
    let server = LiveServer::start(&data, "127.0.0.1:0", &["--smtp", &mail]);
    let (passed, said) = walkthrough(&server.url, &mail, "30", Some(env!("CARGO_BIN_EXE_jpki-shim-reference")));
    assert!(passed, "{said}");
    assert!(said.contains("(your wallet)") && said.contains("walkthrough passed"), "{said}");
}

#[test]
fn the_walkthrough_fails_against_a_server_that_sends_no_e_mail() {
    let mail = format!("127.0.0.1:{}", free_port());
    let silent = format!("127.0.0.1:{}", free_port());
    let data = fresh_folder("walkthrough-silent");
    // the server sends its e-mail to a relay nobody runs
    let server = LiveServer::start(&data, "127.0.0.1:0", &["--smtp", &silent]);
    let (passed, said) = walkthrough(&server.url, &mail, "2", None);
    assert!(!passed, "{said}");
    assert!(said.contains("NTF-003"), "{said}");
}

#[test]
fn serve_chaos_refuses_delays_and_drops_and_a_wallet_that_resends_ends_with_one_issuance() {
    let data = fresh_folder("chaos");
    let server = LiveServer::start(&data, "127.0.0.1:0", &["--chaos", "100"]);
    let seed = [0x6d; 32];
    context::enter(Sut::Http { url: server.url.clone(), mutation: None }, seed);
    let binding = HttpBinding::start(&server.url, &seed, None);
    let mut w = World::with_factory_trusting(seed, None, Box::new(ServedRoles(Box::new(binding))), &[]).unwrap();
    let client = Client::new();
    let url = format!("{}{}", server.url, Endpoint::Issue.path(""));
    let mut first_answers = Vec::new();
    for (n, holder) in ["ichiro", "jiro", "saburo"].into_iter().enumerate() {
        let phone = format!("{holder}'s phone");
        w.add_holder(holder, crate::live::holder()).unwrap();
        w.add_device(&phone);
        let params = IssueParams::both(n as u8 + 1);
        let challenge = w.issuance_challenge().unwrap();
        let request = w.issuance_request(holder, &phone, &challenge, &params).unwrap();
        // the wallet: the same request with the same key until it has an answer
        let key = [n as u8 + 1; 16];
        let mut answer = None;
        for attempt in 0..10 {
            let started = Instant::now();
            let received = client.post(&url, &request, Some(&key));
            if attempt == 0 {
                first_answers.push((received.as_ref().map(|r| r.status).ok(), started.elapsed()));
            }
            match received {
                Ok(r) if r.status == 200 => {
                    answer = Some(r.body);
                    break;
                }
                Ok(r) => {
                    let refusal = ErrorMessage::from_bytes(&r.body).unwrap();
                    assert_eq!((r.status, refusal.code), (503, Code::RetryLater), "ISS-016");
                }
                Err(_) => {} // the answer dropped: send it again
            }
        }
        let answer = answer.expect("an answer within ten attempts");
        w.device_judges(&phone, "issuance_response", &answer).unwrap();
        // one issuance: the certificates installed are those on record for the phone, one "issued" e-mail's worth
        let mut installed = w.installed_serials(&phone).unwrap();
        installed.sort();
        let issued: Vec<_> = w.notifications().into_iter().filter(|n| n.event == Event::Issued).collect();
        assert_eq!(issued.len(), n + 1, "ISS-016: one issued notification per holder");
        let mut named = issued[n].certs.clone();
        named.sort();
        assert_eq!(named, installed, "ISS-016: the notified certificates are the installed ones");
    }
    assert_eq!(w.observe().issuer.certs.len(), 6, "ISS-016: two certificates per holder, none twice");
    // the turns go round (refuse, delay, drop): the first holder's request
    // refused, its retry late; the second's answer dropped (the client's own
    // retry got the stored answer); the third's late
    assert_eq!(first_answers[0].0, Some(503), "{first_answers:?}");
    assert!(first_answers[2].1 >= Duration::from_secs(1), "{first_answers:?}");
    drop(server);
}

#[test]
fn a_refused_or_malformed_address_goes_to_the_operator_and_holds_up_nothing() {
    // the sink refuses every mailbox with "refused" in it for good (550)
    let sink = jpki_server::mail::sink::SmtpSink::start_refusing("127.0.0.1:0", Some("refused")).unwrap();
    let data = fresh_folder("delivery-fallback");
    let server = LiveServer::start(&data, "127.0.0.1:0", &["--smtp", &sink.relay()]);
    let seed = [0x71; 32];
    context::enter(Sut::Http { url: server.url.clone(), mutation: None }, seed);
    let binding = HttpBinding::start(&server.url, &seed, None);
    let mut w = World::with_factory_trusting(seed, None, Box::new(ServedRoles(Box::new(binding))), &[]).unwrap();
    // the world gives each holder the address "{holder}@mail.example.jp": refused, not an address, fine
    for (n, holder) in ["refused", "two words", "ichiro"].into_iter().enumerate() {
        w.add_holder(holder, crate::live::holder()).unwrap();
        w.add_device(holder);
        w.issue(holder, holder, &IssueParams::both(n as u8 + 1)).unwrap();
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while sink.received().len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let received = sink.received();
    assert_eq!(received.len(), 3, "{received:?}");
    let to: Vec<String> = received.iter().map(|m| m.to.join(",")).collect();
    assert_eq!(to, ["postmaster@localhost", "postmaster@localhost", "ichiro@mail.example.jp"], "{received:?}");
    assert!(received[0].data.contains("Not delivered to the holder (refused@mail.example.jp"), "{}", received[0].data);
    assert!(received[1].data.contains("Not delivered to the holder"), "{}", received[1].data);
    drop(server);
}
