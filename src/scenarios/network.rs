//! Scenarios of sockets: a TCP and a UDP client and server on 127.0.0.1, AF_UNIX sockets.
use super::prelude::*;

fn ex(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).exit().field("proc.pid", eq(pid))
}

/// The call `ty` by `pid`, in whichever event this libs' table puts the params named after it.
fn call(name: &str, ty: &str, pid: i64) -> EventMatcher {
    event(name).ty(ty).field("proc.pid", eq(pid)).call()
}

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
}

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
    let msg = b"hello over tcp";
    sys!(
        "sendto",
        libc::SYS_sendto,
        cli,
        msg.as_ptr(),
        msg.len(),
        0,
        std::ptr::null::<libc::sockaddr>(),
        0
    )?;
    let mut buf = [0u8; 64];
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
    Ok(TcpFacts {
        server_port: sport as i64,
        client_port: cport as i64,
        sent: msg.len() as i64,
        received: n,
        client_fd: cli,
        conn_fd: conn,
    })
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
    Expectation::new(vec![
        sequence([
            ex("the server socket", "socket", w)
                .param("fd", ge(0))
                .field("evt.args", contains("AF_INET")),
            ex("SO_REUSEADDR", "setsockopt", w).param("res", eq(0)),
            ex("bind to 127.0.0.1:0", "bind", w)
                .param("res", eq(0))
                .field("fd.name", eq("127.0.0.1:0")),
            ex("listen", "listen", w)
                .param("res", eq(0))
                .param("backlog", eq(8)),
            tcp_fields(ex("the client connects", "connect", w)).param("res", eq(0)),
            tcp_fields(ex("the server accepts", "accept4", w)).param("fd", ge(0)),
            tcp_fields(ex("the client sends", "sendto", w)).param("res", eq(f.sent)),
            tcp_fields(ex("the server receives", "recvfrom", w)).param("res", eq(f.received)),
            tcp_fields(ex("the client shuts down writes", "shutdown", w)).param("res", eq(0)),
        ]),
        all_of([
            ex("getsockname", "getsockname", w),
            ex("getsockopt SO_ERROR", "getsockopt", w).param("res", eq(0)),
            call("close the client", "close", w).param("fd", eq(f.client_fd)),
            call("close the accepted connection", "close", w).param("fd", eq(f.conn_fd)),
        ]),
    ])
}

/// What `udp_client_server` did.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UdpFacts {
    /// The server's port.
    pub server_port: i64,
    /// The client's port.
    pub client_port: i64,
    /// Bytes sent.
    pub sent: i64,
    /// Bytes received.
    pub received: i64,
}

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
    let msg = b"hello over udp";
    sys!(
        "sendto",
        libc::SYS_sendto,
        cli,
        msg.as_ptr(),
        msg.len(),
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
    for fd in [cli, srv] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(UdpFacts {
        server_port: sport as i64,
        client_port: cport as i64,
        sent: msg.len() as i64,
        received: n,
    })
}

fn udp_expect(f: &UdpFacts, w: i64) -> Expectation {
    let (sp, cp) = (f.server_port, f.client_port);
    Expectation::new(vec![sequence([
        ex("a UDP socket", "socket", w)
            .param("fd", ge(0))
            .field("evt.args", contains("AF_INET")),
        ex("bind", "bind", w).param("res", eq(0)),
        call("sendto the server", "sendto", w).param("tuple", contains(format!("\"port\":{sp}"))),
        ex("sent", "sendto", w)
            .param("res", eq(f.sent))
            .field("fd.l4proto", eq("udp")),
        ex("the server receives from the client", "recvfrom", w)
            .param("res", eq(f.received))
            .field("fd.l4proto", eq("udp"))
            .field(
                "evt.args",
                contains(format!("127.0.0.1:{cp}->127.0.0.1:{sp}")),
            ),
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
    let msg = b"hello over a unix socketpair";
    let mut iov = libc::iovec {
        iov_base: msg.as_ptr() as *mut _,
        iov_len: msg.len(),
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
    for fd in [cli, srv, sv[0] as libc::c_long, sv[1] as libc::c_long] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(UnixFacts {
        pair: [sv[0] as i64, sv[1] as i64],
        sent: msg.len() as i64,
        received: n,
        path: path.display().to_string(),
    })
}

fn unix_expect(f: &UnixFacts, w: i64) -> Expectation {
    let path = f.path.as_str();
    Expectation::new(vec![all_of([
        ex("socketpair", "socketpair", w)
            .param("res", eq(0))
            .field("evt.args", contains("fd1=")),
        ex("sendmsg on the pair", "sendmsg", w)
            .param("res", eq(f.sent))
            .field("fd.type", eq("unix")),
        ex("recvmsg on the pair", "recvmsg", w)
            .param("res", eq(f.received))
            .field("fd.type", eq("unix")),
        ex("bind the named socket", "bind", w)
            .param("res", eq(0))
            .field("evt.args", contains(path)),
        ex("listen on it", "listen", w).param("res", eq(0)),
        ex("connect to it", "connect", w)
            .param("res", eq(0))
            .field("fd.type", eq("unix"))
            .field("fd.name", contains(path)),
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
