//! Which addresses an HTTP client may reach. The admin's computer reaches an IdP wherever the
//! admin's network puts it (the office LAN, a VPN, this computer). The platform must not: an IdP
//! configuration, a discovery document or a webhook URL is written by someone else, and could
//! point the platform at its own network (a cloud metadata endpoint, an internal admin page):
//! server-side request forgery.
//!
//! Invariants:
//! - Under [`Reach::PublicOnly`] a request goes only to a public address: a literal address in
//!   the URL is checked before anything is sent ([`Reach::check_url`]), and a host name is
//!   resolved by [`PublicResolver`], which drops every address that is not public, so the
//!   connection can only be made to one that is (no gap between a check and the connect for a
//!   DNS answer to change in).
//! - "Public" is one rule, [`is_public`]: not loopback, private, shared (CGNAT), link-local,
//!   unspecified, broadcast, multicast, documentation or benchmarking ranges, nor their
//!   IPv4-mapped IPv6 forms.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use url::{Host, Url};

/// Where a client may connect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Anywhere: the admin's computer, and a platform set up for tests with IdPs on loopback.
    Anywhere,
    /// Only public addresses: the platform.
    PublicOnly,
}

/// A request refused because it would reach an address that is not public.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{host} is at {address}, which is not a public address")]
pub struct NotPublic {
    pub host: String,
    pub address: IpAddr,
}

impl Reach {
    /// Refuses a URL whose host is a literal address this reach excludes, or a `localhost`
    /// name (loopback by definition, RFC 6761 §6.3). Other host names are left to the resolver
    /// ([`PublicResolver`]).
    pub fn check_url(self, url: &Url) -> Result<(), NotPublic> {
        if self == Reach::Anywhere {
            return Ok(());
        }
        let address = match url.host() {
            Some(Host::Ipv4(v4)) => IpAddr::V4(v4),
            Some(Host::Ipv6(v6)) => IpAddr::V6(v6),
            Some(Host::Domain(name)) if is_localhost(name) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(Host::Domain(_)) | None => return Ok(()),
        };
        if is_public(address) {
            Ok(())
        } else {
            Err(NotPublic {
                host: url.host_str().unwrap_or_default().to_string(),
                address,
            })
        }
    }
}

/// `localhost` and the names under it, which always resolve to loopback (RFC 6761 §6.3).
fn is_localhost(name: &str) -> bool {
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

/// Whether `ip` is an address on the public internet.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT), RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments, RFC 6890
        || (a == 198 && (18..20).contains(&b)) // benchmarking, RFC 2544
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (first & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation, 2001:db8::/32
        || (first == 0x0064 && ip.segments()[1] == 0xff9b)) // NAT64, whose IPv4 is unknown here
}

/// A DNS resolver that keeps only public addresses: a name that resolves to none is refused
/// with [`NotPublic`] (naming the first address it had).
#[derive(Clone, Copy, Debug, Default)]
pub struct PublicResolver;

impl reqwest::dns::Resolve for PublicResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            match (public.is_empty(), found.first()) {
                (false, _) => Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs),
                (true, Some(first)) => Err(Box::new(NotPublic {
                    host,
                    address: first.ip(),
                })
                    as Box<dyn std::error::Error + Send + Sync>),
                (true, None) => Err(Box::new(NoAddress(host)) as _),
            }
        })
    }
}

/// A name that resolved to no address at all.
#[derive(Debug)]
struct NoAddress(String);

impl fmt::Display for NoAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} resolved to no address", self.0)
    }
}

impl std::error::Error for NoAddress {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        let not_public = [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.255",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "198.18.0.1",
            "192.0.0.8",
            "240.0.0.1",
            "::",
            "::1",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
        ];
        for text in not_public {
            assert!(!is_public(text.parse().unwrap()), "{text} is not public");
        }
        let public = [
            "1.1.1.1",
            "8.8.8.8",
            "172.15.255.255",
            "172.32.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ];
        for text in public {
            assert!(is_public(text.parse().unwrap()), "{text} is public");
        }
    }

    #[test]
    fn a_literal_address_is_checked_before_anything_is_sent() {
        let url = |s: &str| Url::parse(s).unwrap();
        let metadata = url("http://169.254.169.254/latest/meta-data/");
        assert_eq!(
            Reach::PublicOnly.check_url(&metadata),
            Err(NotPublic {
                host: "169.254.169.254".into(),
                address: "169.254.169.254".parse().unwrap()
            })
        );
        assert!(Reach::PublicOnly
            .check_url(&url("https://[::1]:8443/token"))
            .is_err());
        assert_eq!(Reach::Anywhere.check_url(&metadata), Ok(()));
        assert_eq!(
            Reach::PublicOnly.check_url(&url("https://8.8.8.8/x")),
            Ok(())
        );
        assert_eq!(
            Reach::PublicOnly.check_url(&url("https://idp.example/x")),
            Ok(()),
            "a name is the resolver's to check"
        );
        for name in ["localhost", "LocalHost.", "api.localhost"] {
            assert_eq!(
                Reach::PublicOnly.check_url(&url(&format!("http://{name}:8080/hook"))),
                Err(NotPublic {
                    host: name.to_ascii_lowercase(),
                    address: "127.0.0.1".parse().unwrap()
                }),
                "{name} is loopback"
            );
        }
        assert_eq!(
            Reach::PublicOnly.check_url(&url("https://notlocalhost.example/x")),
            Ok(())
        );
    }

    #[tokio::test]
    async fn the_resolver_refuses_a_name_with_only_private_addresses() {
        use reqwest::dns::Resolve;
        let name: reqwest::dns::Name = "localhost".parse().unwrap();
        let error = match PublicResolver.resolve(name).await {
            Ok(addrs) => panic!("localhost is not public: {:?}", addrs.collect::<Vec<_>>()),
            Err(e) => e,
        };
        let refused = error
            .downcast_ref::<NotPublic>()
            .expect("refused as not public");
        assert_eq!(refused.host, "localhost");
        assert!(refused.address.is_loopback(), "{refused}");
    }
}
