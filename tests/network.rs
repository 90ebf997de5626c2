//! QA scenarios of the network area: live on modern eBPF, then on the replay of the recording.
mod common;

#[test]
fn tcp_client_server() {
    common::qa("tcp_client_server");
}

#[test]
fn udp_client_server() {
    common::qa("udp_client_server");
}

#[test]
fn unix_sockets() {
    common::qa("unix_sockets");
}
