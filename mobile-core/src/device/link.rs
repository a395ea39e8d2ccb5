//! Where a door enrols: the server URL (https, or plain http to this
//! machine only) and the `cho-enrol:` link the owner's page shows as a QR
//! code.
//!
//! Plain http to another machine is refused, not warned about: whoever sits
//! between the phone and the server (the venue's Wi-Fi) could read the
//! credential and, worse, answer the enrolment with their own signing key.
//! The fingerprint check stops the second; https stops the first.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::fingerprint;

/// Why a URL or link was refused. The messages hold no code and no
/// credential; a URL is not personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("the server URL must start with https:// (or http:// to this machine only)")]
    Scheme,
    #[error("the server URL has no host")]
    NoHost,
    #[error(
        "the server URL may not hold a user name, spaces, a query or a fragment (only scheme, host, port and path)"
    )]
    Shape,
    #[error(
        "plain http is refused except to this machine (127.0.0.1, ::1, localhost): use https://"
    )]
    PlainHttp,
    #[error("not an enrolment link: it starts with cho-enrol: and carries #code=...&key=...")]
    NotALink,
    #[error("the enrolment link has no code")]
    NoCode,
    #[error("the enrolment link has no key fingerprint")]
    NoFingerprint,
    #[error(
        "the enrolment link must carry the full key fingerprint ({} characters)",
        fingerprint::FULL_LEN
    )]
    ShortFingerprint,
    #[error(
        "the enrolment code is empty or holds other characters than letters, digits and dashes"
    )]
    Code,
    #[error("{0}")]
    Fingerprint(#[from] fingerprint::FingerprintError),
}

/// What a door needs to enrol: the server, the one-time code, and the
/// fingerprint of the signing key the server must answer with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolTarget {
    pub server_url: String,
    pub code: String,
    /// Normalised (upper case, no dashes): full from a link, 12 characters
    /// when typed.
    pub fingerprint: String,
}

/// Checks a server URL and returns it without a trailing slash.
pub fn server_url(url: &str) -> Result<String, LinkError> {
    let url = url.trim();
    let (https, rest) = if let Some(rest) = strip_prefix_ignore_case(url, "https://") {
        (true, rest)
    } else if let Some(rest) = strip_prefix_ignore_case(url, "http://") {
        (false, rest)
    } else {
        return Err(LinkError::Scheme);
    };
    let rest = rest.trim_end_matches('/');
    if rest.contains(['@', '?', '#', '\\']) || rest.contains(char::is_whitespace) {
        return Err(LinkError::Shape);
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = host_of(authority).ok_or(LinkError::NoHost)?;
    if !https && !is_loopback(&host) {
        return Err(LinkError::PlainHttp);
    }
    let scheme = if https { "https://" } else { "http://" };
    Ok(format!("{scheme}{rest}"))
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The host of `host[:port]` or `[v6][:port]`, lower case; `None` when empty
/// or when the port is not a number.
fn host_of(authority: &str) -> Option<String> {
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        }
    };
    if let Some(port) = port
        && port.parse::<u16>().is_err()
    {
        return None;
    }
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// 127.0.0.0/8, ::1 and `localhost`: the only hosts plain http may reach.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    host == "localhost"
        || host.parse::<Ipv4Addr>().is_ok_and(|ip| ip.is_loopback())
        || host.parse::<Ipv6Addr>().is_ok_and(|ip| ip.is_loopback())
}

/// A code as typed: trimmed, upper case; letters, digits and dashes only.
pub fn code(code: &str) -> Result<String, LinkError> {
    let code = code.trim().to_ascii_uppercase();
    if code.is_empty()
        || code.len() > 64
        || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    {
        return Err(LinkError::Code);
    }
    Ok(code)
}

/// A typed enrolment: server URL, code and the short fingerprint shown
/// beside the code (the full one is accepted too).
pub fn typed(
    url: &str,
    typed_code: &str,
    typed_fingerprint: &str,
) -> Result<EnrolTarget, LinkError> {
    let fingerprint = fingerprint::normalise(typed_fingerprint)?;
    if fingerprint.len() != fingerprint::SHORT_LEN && fingerprint.len() != fingerprint::FULL_LEN {
        return Err(fingerprint::FingerprintError::Length(fingerprint.len()).into());
    }
    Ok(EnrolTarget {
        server_url: server_url(url)?,
        code: code(typed_code)?,
        fingerprint,
    })
}

/// `cho-enrol:<URL>#code=<CODE>&key=<FULL FINGERPRINT>`. The link must
/// carry the full fingerprint: it is read by a camera, not typed, so there
/// is no reason to settle for 60 bits.
pub fn parse_link(link: &str) -> Result<EnrolTarget, LinkError> {
    let rest = strip_prefix_ignore_case(link.trim(), "cho-enrol:").ok_or(LinkError::NotALink)?;
    let (url, fragment) = rest.split_once('#').ok_or(LinkError::NotALink)?;
    let mut code_value = None;
    let mut key_value = None;
    for part in fragment.split('&') {
        match part.split_once('=') {
            Some(("code", v)) => code_value = Some(v),
            Some(("key", v)) => key_value = Some(v),
            // Unknown parameters are left for later versions of the link.
            _ => {}
        }
    }
    let code_value = code_value.ok_or(LinkError::NoCode)?;
    let key_value = key_value.ok_or(LinkError::NoFingerprint)?;
    let fingerprint = fingerprint::normalise(key_value)?;
    if fingerprint.len() != fingerprint::FULL_LEN {
        return Err(LinkError::ShortFingerprint);
    }
    Ok(EnrolTarget {
        server_url: server_url(url)?,
        code: code(code_value)?,
        fingerprint,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn https_anywhere_and_http_only_to_this_machine() {
        assert_eq!(
            server_url("https://cho.example.nl/").unwrap(),
            "https://cho.example.nl"
        );
        assert_eq!(
            server_url("HTTPS://cho.example.nl:8443/cho").unwrap(),
            "https://cho.example.nl:8443/cho"
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3",
            "http://localhost:3000/",
            "http://[::1]:80",
        ] {
            assert!(server_url(ok).is_ok(), "{ok}");
        }
        for (bad, why) in [
            ("http://cho.example.nl", LinkError::PlainHttp),
            ("http://192.168.1.10:8080", LinkError::PlainHttp),
            ("http://128.0.0.1", LinkError::PlainHttp),
            ("http://[::2]", LinkError::PlainHttp),
            ("http://localhost.evil.example", LinkError::PlainHttp),
            ("http://127.0.0.1.evil.example", LinkError::PlainHttp),
            ("ftp://cho.example.nl", LinkError::Scheme),
            ("cho.example.nl", LinkError::Scheme),
            ("https://", LinkError::NoHost),
            ("https://:443", LinkError::NoHost),
            ("https://user@cho.example.nl", LinkError::Shape),
            ("http://127.0.0.1@cho.example.nl", LinkError::Shape),
            ("https://cho.example.nl?x=1", LinkError::Shape),
            ("https://cho.example.nl:port", LinkError::NoHost),
        ] {
            assert_eq!(server_url(bad), Err(why), "{bad}");
        }
    }

    #[test]
    fn a_link_carries_url_code_and_the_full_fingerprint() {
        let key = [3u8; 32];
        let full = fingerprint::fingerprint(&key);
        let target = parse_link(&format!(
            "cho-enrol:https://cho.example.nl#code=abcd-ef23-gh&key={full}"
        ))
        .unwrap();
        assert_eq!(target.server_url, "https://cho.example.nl");
        assert_eq!(target.code, "ABCD-EF23-GH");
        assert_eq!(target.fingerprint, full);

        let short = fingerprint::short_fingerprint(&key);
        assert_eq!(
            parse_link(&format!("cho-enrol:https://x.nl#code=A&key={short}")),
            Err(LinkError::ShortFingerprint)
        );
        assert_eq!(
            parse_link("cho-enrol:https://x.nl#ABCD-EF23-GH"),
            Err(LinkError::NoCode)
        );
        assert_eq!(
            parse_link("cho-enrol:https://x.nl#code=ABCD"),
            Err(LinkError::NoFingerprint)
        );
        assert_eq!(
            parse_link(&format!(
                "cho-enrol:http://cho.example.nl#code=A&key={full}"
            )),
            Err(LinkError::PlainHttp)
        );
        assert_eq!(
            parse_link("https://x.nl#code=A&key=B"),
            Err(LinkError::NotALink)
        );
    }

    #[test]
    fn a_typed_enrolment_takes_the_short_fingerprint() {
        let key = [3u8; 32];
        let short = fingerprint::short_fingerprint(&key).to_lowercase();
        let target = typed("https://cho.example.nl", " abcd-ef23-gh ", &short).unwrap();
        assert_eq!(target.fingerprint.len(), fingerprint::SHORT_LEN);
        assert!(typed("https://cho.example.nl", "ABCD", "ABCD").is_err());
        assert_eq!(
            typed("https://cho.example.nl", "AB CD", &short),
            Err(LinkError::Code)
        );
    }
}
