//! The presets on loopback: the reviewed presets with their templates pointed at the quirk
//! providers of `tests/oidc/provider.mjs --quirks`, served to the whole test process, so the
//! same data fields and the same generic code (discovery, readiness, the ID token check,
//! userinfo) run against providers that imitate each preset's quirk.
//!
//! The rewrite is mechanical and the same for every preset: `https://` becomes
//! `http://127.0.0.1:{port}/` in the issuer (the real host turns into the first path segment,
//! where the provider mounts it), and `http://127.0.0.2:{port}/` in a userinfo override (another
//! origin, as Cognito's pool domain is another host than its issuer). `{port}` is a new
//! parameter; every other parameter, pattern, quirk and hint is the reviewed file's.
//!
//! Invariant: a test binary that uses this calls [`serve`] before anything reads the presets;
//! [`serve`] panics otherwise, so a test can never run against the real hosts' templates by
//! accident.

use eca_model::preset::{self, Preset, PresetParam};
use std::collections::BTreeMap;
use std::sync::Once;

/// The parameter the loopback templates add: the quirk provider's port.
pub const PORT_PARAM: &str = "port";

/// `presets` with their templates on loopback (see the module's header).
pub fn on_loopback(presets: Vec<Preset>) -> Vec<Preset> {
    presets.into_iter().map(preset_on_loopback).collect()
}

fn preset_on_loopback(mut p: Preset) -> Preset {
    let Some(issuer) = p.issuer.take() else {
        return p;
    };
    p.issuer = Some(issuer.replacen("https://", "http://127.0.0.1:{port}/", 1));
    p.userinfo_endpoint = p
        .userinfo_endpoint
        .map(|t| t.replacen("https://", "http://127.0.0.2:{port}/", 1));
    p.params.push(PresetParam {
        name: PORT_PARAM.into(),
        label: "Port".into(),
        example: "4000".into(),
        pattern: "[0-9]{1,5}".into(),
        help: "The quirk provider's port.".into(),
    });
    p
}

/// Serves the loopback presets to this process (once; later calls do nothing).
pub fn serve() {
    static SERVED: Once = Once::new();
    SERVED.call_once(|| {
        if preset::serve(on_loopback(preset::reviewed())).is_err() {
            panic!("the presets were read before the loopback presets were served");
        }
    });
}

/// The parameter values of a preset on the provider at `url` (`http://127.0.0.1:PORT`).
pub fn values(url: &str, pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    let port = url
        .rsplit(':')
        .next()
        .expect("the provider's URL has a port");
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .chain([(PORT_PARAM.to_string(), port.to_string())])
        .collect()
}
