//! What the unit tests of several modules share.

use std::time::Duration;

use geobox_api::{Auth, GeoboxClient};

/// A client of a server that is gone: its port was free a moment ago, so a connection to it
/// is refused.
pub fn client_of_a_gone_server() -> GeoboxClient {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    GeoboxClient::new(
        &format!("http://127.0.0.1:{port}"),
        Auth::AccessToken("tok".into()),
        Duration::from_secs(5),
    )
    .expect("a client")
}
