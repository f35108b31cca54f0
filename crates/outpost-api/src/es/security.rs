//! Security as `elasticsearch.yml` configures it: with
//! `xpack.security.enabled: true` every request needs HTTP basic auth
//! against the configured users (`--elasticsearch.users`, `ELASTIC_PASSWORD`
//! for `elastic`), refused with ES's 401 `security_exception` and
//! `WWW-Authenticate`; otherwise open. `GET /_security/_authenticate` answers
//! who the caller is.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, header};
use base64::Engine as _;
use outpost_config::Secret;
use serde_json::{Map, Value, json};

use super::error::{EsError, error_object};

/// The challenge ES sends with a 401 (basic realm only: no token service).
pub(crate) const WWW_AUTHENTICATE: &str = "Basic realm=\"security\", charset=\"UTF-8\"";

/// Where a user comes from, as `_authenticate` reports the realm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Realm {
    /// `elastic` from `ELASTIC_PASSWORD`: ES's reserved realm.
    Reserved,
    /// A user of the users file: ES's file realm.
    File,
}

/// Who may call the Elasticsearch API.
#[derive(Debug)]
pub struct EsAuth {
    enabled: bool,
    users: BTreeMap<String, (Secret, Realm)>,
}

impl EsAuth {
    /// Security off: every request is served.
    pub fn open() -> EsAuth {
        EsAuth {
            enabled: false,
            users: BTreeMap::new(),
        }
    }

    /// Security on, with the users of the users file and, when given, `elastic`
    /// with `ELASTIC_PASSWORD` (the file wins for the same name).
    pub fn basic(file_users: Vec<(String, Secret)>, elastic_password: Option<Secret>) -> EsAuth {
        let mut users = BTreeMap::new();
        if let Some(pw) = elastic_password.filter(|p| !p.is_empty()) {
            users.insert("elastic".to_string(), (pw, Realm::Reserved));
        }
        for (u, p) in file_users {
            users.insert(u, (p, Realm::File));
        }
        EsAuth {
            enabled: true,
            users,
        }
    }

    /// Whether requests need credentials.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// How many users may log in (none with security on: every request is refused).
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// The authenticated user (`None` when security is off), or ES's 401.
    pub(crate) fn authenticate(
        &self,
        headers: &HeaderMap,
        uri: &str,
    ) -> Result<Option<String>, EsError> {
        if !self.enabled {
            return Ok(None);
        }
        let Some((user, password)) = basic_credentials(headers) else {
            return Err(unauthorized(format!(
                "missing authentication credentials for REST request [{uri}]"
            )));
        };
        match self.users.get(&user) {
            Some((secret, _)) if same(secret.expose().as_bytes(), password.as_bytes()) => {
                Ok(Some(user))
            }
            _ => Err(unauthorized(format!(
                "unable to authenticate user [{user}] for REST request [{uri}]"
            ))),
        }
    }

    /// `GET /_security/_authenticate`.
    pub(crate) fn authenticate_body(&self, user: Option<&str>) -> Result<Value, EsError> {
        let Some(user) = user.filter(|_| self.enabled) else {
            return Err(EsError::new(
                500,
                "exception",
                "Security must be explicitly enabled when using a [basic] license. Enable security by setting [xpack.security.enabled] to [true] in the elasticsearch.yml file and restart the node.",
            ));
        };
        let realm = match self.users.get(user).map(|(_, r)| *r) {
            Some(Realm::Reserved) => json!({"name": "reserved", "type": "reserved"}),
            _ => json!({"name": "default_file", "type": "file"}),
        };
        Ok(json!({
            "username": user,
            "roles": ["superuser"],
            "full_name": null,
            "email": null,
            "metadata": {},
            "enabled": true,
            "authentication_realm": realm,
            "lookup_realm": realm,
            "authentication_type": "realm",
        }))
    }
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, rest) = v.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(rest.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let (u, p) = text.split_once(':')?;
    Some((u.to_string(), p.to_string()))
}

fn unauthorized(reason: String) -> EsError {
    let mut extra = Map::new();
    extra.insert(
        "header".into(),
        json!({"WWW-Authenticate": [WWW_AUTHENTICATE]}),
    );
    EsError::Object {
        status: 401,
        error: error_object("security_exception", &reason, extra),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn with_auth(user: &str, pw: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pw}"));
        h.insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("Basic {token}")).unwrap(),
        );
        h
    }

    #[test]
    fn open_serves_everyone() {
        assert_eq!(
            EsAuth::open().authenticate(&HeaderMap::new(), "/"),
            Ok(None)
        );
    }

    #[test]
    fn basic_auth_against_file_users_and_elastic_password() {
        let a = EsAuth::basic(
            vec![("logstash".into(), Secret::new("ls-pw"))],
            Some(Secret::new("changeme")),
        );
        assert_eq!(
            a.authenticate(&with_auth("elastic", "changeme"), "/"),
            Ok(Some("elastic".into()))
        );
        assert_eq!(
            a.authenticate(&with_auth("logstash", "ls-pw"), "/"),
            Ok(Some("logstash".into()))
        );
        let e = a.authenticate(&HeaderMap::new(), "/_bulk").unwrap_err();
        let b = e.body().unwrap();
        assert_eq!(b["status"], 401);
        assert_eq!(b["error"]["type"], "security_exception");
        assert_eq!(
            b["error"]["reason"],
            "missing authentication credentials for REST request [/_bulk]"
        );
        assert_eq!(
            b["error"]["root_cause"][0]["header"]["WWW-Authenticate"][0],
            WWW_AUTHENTICATE
        );
        let e = a
            .authenticate(&with_auth("elastic", "wrong"), "/")
            .unwrap_err();
        assert_eq!(
            e.body().unwrap()["error"]["reason"],
            "unable to authenticate user [elastic] for REST request [/]"
        );
        let me = a.authenticate_body(Some("elastic")).unwrap();
        assert_eq!(me["authentication_realm"]["type"], "reserved");
        assert_eq!(
            a.authenticate_body(Some("logstash")).unwrap()["lookup_realm"]["name"],
            "default_file"
        );
    }

    #[test]
    fn security_without_users_refuses_everything() {
        let a = EsAuth::basic(vec![], None);
        assert!(a.enabled());
        assert_eq!(a.user_count(), 0);
        assert_eq!(
            a.authenticate(&with_auth("elastic", ""), "/")
                .unwrap_err()
                .status(),
            401
        );
        assert_eq!(
            EsAuth::open().authenticate_body(None).unwrap_err().status(),
            500
        );
    }
}
