//! Parsing and checking of the settings.

use super::*;

fn parse(args: &[&str]) -> Result<Settings, String> {
    let mut full = vec!["wagate"];
    full.extend_from_slice(args);
    Config::from_args(full).map_err(|e| e.to_string())?.validate()
}

#[test]
fn defaults_match_the_original_gateway() {
    let s = parse(&[]).unwrap();
    assert_eq!(s.http.port, 8080);
    assert_eq!(s.send.defaults.text_delay_ms, 3500);
    assert_eq!(
        (
            s.send.defaults.media_delay_ms_min,
            s.send.defaults.media_delay_ms_max
        ),
        (6000, 9000)
    );
    assert_eq!(s.wa.backend, WaBackendKind::Whatsapp);
    assert!(s.http.frame_ancestors.contains("https://app.gohighlevel.com"));
    assert_eq!(s.send.voice_max_seconds, 900);
    assert!(s.ghl.audio_as_voice);
    assert!(
        !parse(&["--ghl-audio-as-voice", "false"])
            .unwrap()
            .ghl
            .audio_as_voice
    );
}

#[test]
fn bad_values_are_refused_with_the_variable_named() {
    let err = parse(&["--media-delay-ms-min", "10", "--media-delay-ms-max", "5"]).unwrap_err();
    assert!(err.contains("MEDIA_DELAY_MS_MIN"), "{err}");
    assert!(parse(&["--ghl-inbound-url", "ftp://x"])
        .unwrap_err()
        .contains("GHL_INBOUND_URL"));
    assert!(parse(&["--default-country", "Narnia"])
        .unwrap_err()
        .contains("DEFAULT_COUNTRY"));
    assert!(parse(&["--port", "notaport"]).is_err());
    assert!(parse(&["--voice-max-seconds", "0"]).is_err());
    assert!(parse(&["--api-key", "short"]).unwrap_err().contains("API_KEY"));
    assert!(parse(&["--role", "worker"]).unwrap_err().contains("REDIS_URL"));
    assert!(parse(&["--redis-url", "http://x"])
        .unwrap_err()
        .contains("REDIS_URL"));
    assert!(parse(&["--frame-ancestors", "'self'; script-src *"])
        .unwrap_err()
        .contains("FRAME_ANCESTORS"));
    assert!(parse(&["--send-retry-max-ms", "0"])
        .unwrap_err()
        .contains("SEND_RETRY_MAX_MS"));
}

#[test]
fn operations_settings_parse_durations_and_refuse_empty_tokens() {
    assert_eq!(parse(&[]).unwrap().shutdown_timeout, Duration::from_secs(8));
    let s = parse(&["--shutdown-timeout", "1m"]).unwrap();
    assert_eq!(s.shutdown_timeout, Duration::from_secs(60));
    assert!(parse(&["--shutdown-timeout", "soon"]).is_err());
    assert!(parse(&["--metrics-token", " "])
        .unwrap_err()
        .contains("METRICS_TOKEN"));
}

#[test]
fn the_ngrok_name_still_sets_the_public_url() {
    let s = parse(&["--ngrok-base-url", "https://abc.ngrok.app/"]).unwrap();
    assert_eq!(s.public_base_url.as_deref(), Some("https://abc.ngrok.app"));
}

/// The names of every setting that is shown (hidden ones are other names
/// of a shown one).
fn documented_settings() -> Vec<String> {
    let command = <SettingsOnly as clap::CommandFactory>::command();
    command
        .get_arguments()
        .filter(|arg| !arg.is_hide_set())
        .filter_map(|arg| arg.get_env())
        .map(|env| env.to_string_lossy().into_owned())
        .collect()
}

#[test]
fn every_setting_is_in_the_configuration_doc_and_env_example() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/configuration.md")).unwrap();
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    let settings = documented_settings();
    assert!(settings.len() > 40, "{settings:?}");
    for name in settings {
        assert!(
            doc.contains(&format!("`{name}`")),
            "{name} is not in docs/configuration.md"
        );
        let in_example = example.lines().any(|line| {
            line.trim_start_matches(['#', ' '])
                .starts_with(&format!("{name}="))
        });
        assert!(in_example, "{name} is not in .env.example");
    }
}

#[test]
fn printed_settings_never_show_a_secret() {
    let secrets = [
        ("--api-key", "api-key-value-123"),
        ("--secrets-key", "secrets-key-value-1234567"),
        ("--ghl-client-secret", "client-secret-value"),
        ("--ghl-shared-secret", "shared-secret-value"),
        ("--webhook-secret", "webhook-secret-value"),
        ("--metrics-token", "metrics-token-value"),
    ];
    let args: Vec<&str> = secrets.iter().flat_map(|(flag, value)| [*flag, *value]).collect();
    let settings = parse(&args).unwrap();
    let printed = format!("{settings:?}");
    for (flag, value) in secrets {
        assert!(!printed.contains(value), "{flag} was printed: {printed}");
    }
    assert_eq!(settings.api_key.unwrap().expose(), "api-key-value-123");
}

#[test]
fn an_empty_shared_secret_is_refused_rather_than_taken() {
    let refused = parse(&["--ghl-shared-secret", " "]).unwrap_err();
    assert!(refused.contains("GHL_SHARED_SECRET"), "{refused}");
    assert!(parse(&[]).unwrap().ghl.shared_secret.is_none());
}
