//! Scenarios of sockets: a TCP and a UDP client and server on 127.0.0.1, AF_UNIX sockets.
use super::prelude::*;

fn sockaddr_in(port: u16) -> libc::sockaddr_in {
    libc::sockaddr_in {
        sin_family: libc::AF_INET as u16,
        sin_port: port.to_be(),
        sin_addr: libc::in_addr {
            s_addr: u32::from_be_bytes([127, 0, 0, 1]).to_be(),
        },
        sin_zero: [0; 8],
    }
}

fn local_port(fd: libc::c_long) -> Result<u16, String> {
    let mut a = sockaddr_in(0);
    let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
    sys!(
        "getsockname",
        libc::SYS_getsockname,
        fd,
        &mut a as *mut _,
        &mut len as *mut _
    )?;
    Ok(u16::from_be(a.sin_port))
}

/// What `tcp_client_server` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct TcpFacts {
    /// The listening socket.
    pub server_fd: i64,
    /// The listening port.
    pub server_port: i64,
    /// The client's port.
    pub client_port: i64,
    /// Bytes sent.
    pub sent: i64,
    /// Bytes received.
    pub received: i64,
    /// The client socket.
    pub client_fd: i64,
    /// The accepted connection.
    pub conn_fd: i64,
    /// A socket bound to a port but not listening.
    pub closed_fd: i64,
    /// Its port: a connect there is refused.
    pub closed_port: i64,
    /// The socket whose connect is refused.
    pub refused_fd: i64,
    /// connect's result there (-ECONNREFUSED).
    pub refused: i64,
}

/// What the TCP client sends.
const TCP_MSG: &[u8] = b"hello over tcp";
/// The server's receive buffer.
const TCP_BUF: usize = 64;

fn tcp_act(_dir: &Path) -> Result<TcpFacts, String> {
    let sl = std::mem::size_of::<libc::sockaddr_in>();
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    let one: i32 = 1;
    sys!(
        "setsockopt",
        libc::SYS_setsockopt,
        srv,
        libc::SOL_SOCKET,
        libc::SO_REUSEADDR,
        &one as *const i32,
        4
    )?;
    let a = sockaddr_in(0);
    sys!("bind", libc::SYS_bind, srv, &a as *const _, sl)?;
    sys!("listen", libc::SYS_listen, srv, 8)?;
    let sport = local_port(srv)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    let to = sockaddr_in(sport);
    sys!("connect", libc::SYS_connect, cli, &to as *const _, sl)?;
    let cport = local_port(cli)?;
    let conn = sys!(
        "accept4",
        libc::SYS_accept4,
        srv,
        std::ptr::null_mut::<libc::sockaddr>(),
        std::ptr::null_mut::<u32>(),
        libc::SOCK_CLOEXEC
    )?;
    sys!(
        "sendto",
        libc::SYS_sendto,
        cli,
        TCP_MSG.as_ptr(),
        TCP_MSG.len(),
        0,
        std::ptr::null::<libc::sockaddr>(),
        0
    )?;
    let mut buf = [0u8; TCP_BUF];
    let n = sys!(
        "recvfrom",
        libc::SYS_recvfrom,
        conn,
        buf.as_mut_ptr(),
        buf.len(),
        0,
        std::ptr::null_mut::<libc::sockaddr>(),
        std::ptr::null_mut::<u32>()
    )?;
    let mut v: i32 = 0;
    let mut vl: u32 = 4;
    sys!(
        "getsockopt",
        libc::SYS_getsockopt,
        cli,
        libc::SOL_SOCKET,
        libc::SO_ERROR,
        &mut v as *mut i32,
        &mut vl as *mut u32
    )?;
    sys!("shutdown", libc::SYS_shutdown, cli, libc::SHUT_WR)?;
    for fd in [conn, cli, srv] {
        sys!("close", libc::SYS_close, fd)?;
    }
    // A port bound but not listening: connecting there is refused.
    let closed = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, closed, &a as *const _, sl)?;
    let closed_port = local_port(closed)?;
    let refused_fd = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    let to_closed = sockaddr_in(closed_port);
    let refused = sys_fail!(
        "connect to a closed port",
        libc::SYS_connect,
        refused_fd,
        &to_closed as *const _,
        sl
    )?;
    for fd in [refused_fd, closed] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(TcpFacts {
        server_fd: srv,
        server_port: sport as i64,
        client_port: cport as i64,
        sent: TCP_MSG.len() as i64,
        received: n,
        client_fd: cli,
        conn_fd: conn,
        closed_fd: closed,
        closed_port: closed_port as i64,
        refused_fd,
        refused,
    })
}

/// 127.0.0.1:port as the decoder shows a PT_SOCKADDR.
fn inet(port: i64) -> serde_json::Value {
    serde_json::json!({"family": "inet", "ip": "127.0.0.1", "port": port})
}

/// The tuple 127.0.0.1:src -> 127.0.0.1:dst as the decoder shows a PT_SOCKTUPLE.
fn tuple(src: i64, dst: i64) -> serde_json::Value {
    serde_json::json!({"src": inet(src), "dst": inet(dst)})
}

fn tcp_expect(f: &TcpFacts, w: i64) -> Expectation {
    let (sp, cp) = (f.server_port, f.client_port);
    let conn = format!("127.0.0.1:{cp}->127.0.0.1:{sp}");
    let tcp_fields = |m: EventMatcher| {
        m.field("fd.name", eq(conn.as_str()))
            .field("fd.l4proto", eq("tcp"))
            .field("fd.sip", eq("127.0.0.1"))
            .field("fd.sport", eq(sp))
            .field("fd.cip", eq("127.0.0.1"))
            .field("fd.cport", eq(cp))
    };
    let socket = |name: &str, fd: i64| {
        syscall(name, "socket", w)
            .param("fd", eq(fd))
            .flags("domain", &["AF_INET"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .param("flags", eq(0))
            .field("evt.args", contains("AF_INET"))
    };
    let close = |name: &str, fd: i64| {
        syscall(name, "close", w)
            .param("fd", eq(fd))
            .param("res", eq(0))
    };
    // accept4's flags: libs 0.20's enter event reports 0 (its drivers did not read them yet);
    // from 0.22 the exit event reports SOCK_CLOEXEC as PPM_O_CLOEXEC (1 << 12; an INT32 param
    // without a flags table, so not through `.flags()`).
    let accept_flags = if crate::event::exits_carry_enter_params() {
        1 << 12
    } else {
        0
    };
    let msg: Vec<i64> = TCP_MSG.iter().map(|&b| b as i64).collect();
    Expectation::new(vec![
        sequence([
            socket("the server socket", f.server_fd),
            syscall("SO_REUSEADDR", "setsockopt", w)
                .param("res", eq(0))
                .param("fd", eq(f.server_fd))
                .flags("level", &["SOL_SOCKET"])
                .flags("optname", &["SO_REUSEADDR"])
                // PT_DYN: the index PPM_SOCKOPT_IDX_UINT32 (2), then the u32 value 1.
                .param("val", eq(serde_json::json!([2, 1, 0, 0, 0])))
                .param("optlen", eq(4)),
            syscall("bind to 127.0.0.1:0", "bind", w)
                .param("res", eq(0))
                .param("fd", eq(f.server_fd))
                .param("addr", eq(inet(0)))
                .field("fd.name", eq("127.0.0.1:0")),
            syscall("listen", "listen", w)
                .param("res", eq(0))
                .param("fd", eq(f.server_fd))
                .param("backlog", eq(8)),
            tcp_fields(
                syscall("the client connects", "connect", w)
                    .param("res", eq(0))
                    .param("fd", eq(f.client_fd))
                    .param("addr", eq(inet(sp)))
                    .param("tuple", eq(tuple(cp, sp))),
            ),
            tcp_fields(
                syscall("the server accepts", "accept4", w)
                    .param("fd", eq(f.conn_fd))
                    .param("tuple", eq(tuple(cp, sp)))
                    .param("queuepct", eq(0))
                    .param("queuelen", eq(0))
                    .param("queuemax", eq(8))
                    .param("flags", eq(accept_flags)),
            ),
            tcp_fields(
                syscall("the client sends", "sendto", w)
                    .param("res", eq(f.sent))
                    .param("fd", eq(f.client_fd))
                    .param("size", eq(f.sent))
                    .param("data", eq(msg.clone()))
                    .param("tuple", eq(tuple(cp, sp))),
            ),
            tcp_fields(
                syscall("the server receives", "recvfrom", w)
                    .param("res", eq(f.received))
                    .param("fd", eq(f.conn_fd))
                    .param("size", eq(TCP_BUF as i64))
                    .param("data", eq(msg))
                    .param("tuple", eq(tuple(cp, sp))),
            ),
            syscall("getsockopt SO_ERROR", "getsockopt", w)
                .param("res", eq(0))
                .param("fd", eq(f.client_fd))
                .flags("level", &["SOL_SOCKET"])
                .flags("optname", &["SO_ERROR"])
                // PT_DYN: the index PPM_SOCKOPT_IDX_ERRNO (1), then the i64 -SO_ERROR, 0.
                .param("val", eq(serde_json::json!([1, 0, 0, 0, 0, 0, 0, 0, 0])))
                .param("optlen", eq(4)),
            tcp_fields(
                syscall("the client shuts down writes", "shutdown", w)
                    .param("res", eq(0))
                    .param("fd", eq(f.client_fd))
                    .flags("how", &["SHUT_WR"]),
            ),
            close("close the accepted connection", f.conn_fd),
            close("close the client", f.client_fd),
            close("close the server", f.server_fd),
            socket("a socket to bind, not listen", f.closed_fd),
            syscall("bound to a free port", "bind", w)
                .param("res", eq(0))
                .param("fd", eq(f.closed_fd))
                .param("addr", eq(inet(0))),
            socket("a socket to connect there", f.refused_fd),
            syscall(
                "connect to a port nobody listens on is refused",
                "connect",
                w,
            )
            .param("res", eq(f.refused))
            .param("res", eq(-libc::ECONNREFUSED))
            .param("fd", eq(f.refused_fd))
            .param("addr", eq(inet(f.closed_port)))
            .param("tuple", absent()),
            close("close the refused socket", f.refused_fd),
        ]),
        all_of([syscall("getsockname", "getsockname", w)]),
    ])
}

/// What `udp_client_server` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UdpFacts {
    /// The server socket.
    pub server_fd: i64,
    /// The client socket.
    pub client_fd: i64,
    /// The server's port.
    pub server_port: i64,
    /// The client's port.
    pub client_port: i64,
    /// Bytes sent.
    pub sent: i64,
    /// Bytes received.
    pub received: i64,
    /// The receive buffer's size.
    pub size: i64,
    /// recvfrom(MSG_DONTWAIT) on the empty socket (-EAGAIN).
    pub again: i64,
}

/// What the UDP client sends.
const UDP_MSG: &[u8] = b"hello over udp";

fn udp_act(_dir: &Path) -> Result<UdpFacts, String> {
    let sl = std::mem::size_of::<libc::sockaddr_in>();
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_DGRAM,
        0
    )?;
    let a = sockaddr_in(0);
    sys!("bind", libc::SYS_bind, srv, &a as *const _, sl)?;
    let sport = local_port(srv)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_DGRAM,
        0
    )?;
    let to = sockaddr_in(sport);
    sys!(
        "sendto",
        libc::SYS_sendto,
        cli,
        UDP_MSG.as_ptr(),
        UDP_MSG.len(),
        0,
        &to as *const _,
        sl
    )?;
    let cport = local_port(cli)?;
    let mut buf = [0u8; 64];
    let mut from = sockaddr_in(0);
    let mut fl = sl as u32;
    let n = sys!(
        "recvfrom",
        libc::SYS_recvfrom,
        srv,
        buf.as_mut_ptr(),
        buf.len(),
        0,
        &mut from as *mut _,
        &mut fl as *mut u32
    )?;
    let again = sys_fail!(
        "recvfrom on an empty socket",
        libc::SYS_recvfrom,
        srv,
        buf.as_mut_ptr(),
        buf.len(),
        libc::MSG_DONTWAIT,
        &mut from as *mut _,
        &mut fl as *mut u32
    )?;
    for fd in [cli, srv] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(UdpFacts {
        server_fd: srv,
        client_fd: cli,
        server_port: sport as i64,
        client_port: cport as i64,
        sent: UDP_MSG.len() as i64,
        received: n,
        size: buf.len() as i64,
        again,
    })
}

fn udp_expect(f: &UdpFacts, w: i64) -> Expectation {
    let (sp, cp) = (f.server_port, f.client_port);
    let msg: Vec<i64> = UDP_MSG.iter().map(|&b| b as i64).collect();
    // The client socket is not bound to an address: its tuple's source is 0.0.0.0. libs 0.20
    // reads sendto's tuple in the enter event, before the kernel gives the socket a port (0);
    // from 0.22 the exit event has the port the kernel gave it.
    let src_port = if crate::event::exits_carry_enter_params() {
        cp
    } else {
        0
    };
    let sendto_tuple = serde_json::json!({
        "src": {"family": "inet", "ip": "0.0.0.0", "port": src_port},
        "dst": inet(sp),
    });
    let socket = |name: &str, fd: i64| {
        syscall(name, "socket", w)
            .param("fd", eq(fd))
            .flags("domain", &["AF_INET"])
            .param("type", eq(libc::SOCK_DGRAM))
            .param("proto", eq(0))
            .param("flags", eq(0))
            .field("evt.args", contains("AF_INET"))
    };
    Expectation::new(vec![sequence([
        socket("a UDP socket", f.server_fd),
        syscall("bind", "bind", w)
            .param("res", eq(0))
            .param("fd", eq(f.server_fd))
            .param("addr", eq(inet(0))),
        socket("the client's socket", f.client_fd),
        syscall("sendto the server", "sendto", w)
            .param("res", eq(f.sent))
            .param("fd", eq(f.client_fd))
            .param("size", eq(f.sent))
            .param("data", eq(msg.clone()))
            .param("tuple", contains(format!("\"port\":{sp}")))
            .param("tuple", eq(sendto_tuple))
            .field("fd.l4proto", eq("udp")),
        syscall("the server receives from the client", "recvfrom", w)
            .param("res", eq(f.received))
            .param("fd", eq(f.server_fd))
            .param("size", eq(f.size))
            .param("data", eq(msg))
            .param("tuple", eq(tuple(cp, sp)))
            .field("fd.l4proto", eq("udp"))
            .field(
                "evt.args",
                contains(format!("127.0.0.1:{cp}->127.0.0.1:{sp}")),
            ),
        syscall("nothing more to receive", "recvfrom", w)
            .param("res", eq(f.again))
            .param("res", eq(-libc::EAGAIN))
            .param("fd", eq(f.server_fd))
            .param("size", eq(f.size))
            .param("data", absent())
            .param("tuple", absent()),
        syscall("close the client", "close", w)
            .param("res", eq(0))
            .param("fd", eq(f.client_fd)),
        syscall("close the server", "close", w)
            .param("res", eq(0))
            .param("fd", eq(f.server_fd)),
    ])])
}

/// What `unix_sockets` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UnixFacts {
    /// The socketpair's fds.
    pub pair: [i64; 2],
    /// Bytes sent on the pair.
    pub sent: i64,
    /// Bytes received on the pair.
    pub received: i64,
    /// The named socket's path.
    pub path: String,
    /// The listening socket.
    pub server_fd: i64,
    /// The connecting socket.
    pub client_fd: i64,
    /// A path where no socket is.
    pub missing: String,
    /// The socket whose connect fails.
    pub lost_fd: i64,
    /// connect's result there (-ENOENT).
    pub lost: i64,
}

/// What goes over the socketpair.
const PAIR_MSG: &[u8] = b"hello over a unix socketpair";

/// `path` as a sockaddr_un.
fn sockaddr_un(path: &Path) -> libc::sockaddr_un {
    // SAFETY: sockaddr_un is plain data.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as u16;
    for (d, s) in sa
        .sun_path
        .iter_mut()
        .zip(path.display().to_string().bytes())
    {
        *d = s as libc::c_char;
    }
    sa
}

fn unix_act(dir: &Path) -> Result<UnixFacts, String> {
    let mut sv = [0i32; 2];
    sys!(
        "socketpair",
        libc::SYS_socketpair,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0,
        sv.as_mut_ptr()
    )?;
    let mut iov = libc::iovec {
        iov_base: PAIR_MSG.as_ptr() as *mut _,
        iov_len: PAIR_MSG.len(),
    };
    // SAFETY: msghdr is plain data; zeroed is a valid empty header.
    let mut mh: libc::msghdr = unsafe { std::mem::zeroed() };
    mh.msg_iov = &mut iov;
    mh.msg_iovlen = 1;
    sys!("sendmsg", libc::SYS_sendmsg, sv[0], &mh as *const _, 0)?;
    let mut buf = [0u8; 64];
    let mut riov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut _,
        iov_len: buf.len(),
    };
    // SAFETY: as above.
    let mut rh: libc::msghdr = unsafe { std::mem::zeroed() };
    rh.msg_iov = &mut riov;
    rh.msg_iovlen = 1;
    let n = sys!("recvmsg", libc::SYS_recvmsg, sv[1], &mut rh as *mut _, 0)?;
    // A named socket: bind, listen, connect.
    let path = dir.join("sinspqa.sock");
    let sa = sockaddr_un(&path);
    let sl = std::mem::size_of::<libc::sockaddr_un>();
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, srv, &sa as *const _, sl)?;
    sys!("listen", libc::SYS_listen, srv, 4)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("connect", libc::SYS_connect, cli, &sa as *const _, sl)?;
    // No socket at that path: ENOENT.
    let missing = dir.join("no-such.sock");
    let ma = sockaddr_un(&missing);
    let lost_fd = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    let lost = sys_fail!(
        "connect to a missing path",
        libc::SYS_connect,
        lost_fd,
        &ma as *const _,
        sl
    )?;
    for fd in [
        lost_fd,
        cli,
        srv,
        sv[0] as libc::c_long,
        sv[1] as libc::c_long,
    ] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(UnixFacts {
        pair: [sv[0] as i64, sv[1] as i64],
        sent: PAIR_MSG.len() as i64,
        received: n,
        path: path.display().to_string(),
        server_fd: srv,
        client_fd: cli,
        missing: missing.display().to_string(),
        lost_fd,
        lost,
    })
}

/// A unix socket address as the decoder shows a PT_SOCKADDR.
fn unix_addr(path: &str) -> serde_json::Value {
    serde_json::json!({"family": "unix", "path": path})
}

/// A unix tuple as the decoder shows a PT_SOCKTUPLE (the source path is not encoded).
fn unix_tuple(path: &str) -> serde_json::Value {
    serde_json::json!({"src": unix_addr(""), "dst": unix_addr(path)})
}

fn unix_expect(f: &UnixFacts, w: i64) -> Expectation {
    let path = f.path.as_str();
    let msg: Vec<i64> = PAIR_MSG.iter().map(|&b| b as i64).collect();
    let socket = |name: &str, fd: i64| {
        syscall(name, "socket", w)
            .param("fd", eq(fd))
            .flags("domain", &["AF_UNIX"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .param("flags", eq(0))
    };
    let close = |name: &str, fd: i64| {
        syscall(name, "close", w)
            .param("res", eq(0))
            .param("fd", eq(fd))
    };
    Expectation::new(vec![sequence([
        syscall("socketpair", "socketpair", w)
            .param("res", eq(0))
            .param("fd1", eq(f.pair[0]))
            .param("fd2", eq(f.pair[1]))
            .flags("domain", &["AF_UNIX"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .unchecked("source", "kernel address")
            .unchecked("peer", "kernel address")
            .field("evt.args", contains("fd1=")),
        syscall("sendmsg on the pair", "sendmsg", w)
            .param("res", eq(f.sent))
            .param("fd", eq(f.pair[0]))
            .param("size", eq(f.sent))
            .param("data", eq(msg.clone()))
            .param("tuple", eq(unix_tuple("")))
            .field("fd.type", eq("unix")),
        syscall("recvmsg on the pair", "recvmsg", w)
            .param("res", eq(f.received))
            .param("fd", eq(f.pair[1]))
            .param("size", eq(f.received))
            .param("data", eq(msg))
            .param("tuple", eq(unix_tuple("")))
            .param("msgcontrol", absent())
            .field("fd.type", eq("unix")),
        socket("the server socket", f.server_fd),
        syscall("bind the named socket", "bind", w)
            .param("res", eq(0))
            .param("fd", eq(f.server_fd))
            .param("addr", eq(unix_addr(path)))
            .field("evt.args", contains(path)),
        syscall("listen on it", "listen", w)
            .param("res", eq(0))
            .param("fd", eq(f.server_fd))
            .param("backlog", eq(4)),
        socket("the client socket", f.client_fd),
        syscall("connect to it", "connect", w)
            .param("res", eq(0))
            .param("fd", eq(f.client_fd))
            .param("addr", eq(unix_addr(path)))
            .param("tuple", eq(unix_tuple(path)))
            .field("fd.type", eq("unix"))
            .field("fd.name", contains(path)),
        socket("a socket for a missing path", f.lost_fd),
        syscall("connect to a missing path fails", "connect", w)
            .param("res", eq(f.lost))
            .param("res", eq(-libc::ENOENT))
            .param("fd", eq(f.lost_fd))
            .param("addr", eq(unix_addr(&f.missing)))
            .param("tuple", absent()),
        close("close the failed socket", f.lost_fd),
        close("close the client", f.client_fd),
        close("close the server", f.server_fd),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "tcp_client_server",
        area: Area::Network,
        description: "TCP connect/accept/send/recv on 127.0.0.1",
        steps: &Typed {
            act: tcp_act,
            expect: tcp_expect,
        },
    },
    Scenario {
        name: "udp_client_server",
        area: Area::Network,
        description: "UDP sendto/recvfrom on 127.0.0.1",
        steps: &Typed {
            act: udp_act,
            expect: udp_expect,
        },
    },
    Scenario {
        name: "unix_sockets",
        area: Area::Network,
        description: "an AF_UNIX socketpair and a named unix socket",
        steps: &Typed {
            act: unix_act,
            expect: unix_expect,
        },
    },
];
