//! Scenarios of sockets: every socket call on IPv4, IPv6 and AF_UNIX, success and failure.
//!
//! x86_64 has no `send`/`recv` syscalls (nor `socketcall`): libs' `send`/`recv` events exist for
//! the architectures that have them, so `sendto`/`recvfrom` with a NULL address stand in here.
use super::prelude::*;
use crate::expect::Pred;
use serde_json::{json, Value};

/// A socket address as the kernel takes it, with its length.
struct Sa {
    st: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl Sa {
    fn zeroed() -> Sa {
        Sa {
            // SAFETY: sockaddr_storage is plain old data; all-zero is a valid value.
            st: unsafe { std::mem::zeroed() },
            len: std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }
    /// The loopback address (127.0.0.1 or ::1) and `port`.
    fn lo(v6: bool, port: u16) -> Sa {
        let mut a = Sa::zeroed();
        if v6 {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in6.
            let s = unsafe { &mut *(&mut a.st as *mut _ as *mut libc::sockaddr_in6) };
            s.sin6_family = libc::AF_INET6 as libc::sa_family_t;
            s.sin6_port = port.to_be();
            s.sin6_addr.s6_addr[15] = 1;
            a.len = std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t;
        } else {
            // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
            let s = unsafe { &mut *(&mut a.st as *mut _ as *mut libc::sockaddr_in) };
            s.sin_family = libc::AF_INET as libc::sa_family_t;
            s.sin_port = port.to_be();
            s.sin_addr.s_addr = u32::from_be_bytes([127, 0, 0, 1]).to_be();
            a.len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
        }
        a
    }
    /// An AF_UNIX address of `path`.
    fn unix(path: &str) -> Sa {
        let mut a = Sa::zeroed();
        // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_un.
        let s = unsafe { &mut *(&mut a.st as *mut _ as *mut libc::sockaddr_un) };
        s.sun_family = libc::AF_UNIX as libc::sa_family_t;
        for (d, c) in s.sun_path.iter_mut().zip(path.bytes()) {
            *d = c as libc::c_char;
        }
        a.len = (std::mem::size_of::<libc::sa_family_t>() + path.len() + 1) as libc::socklen_t;
        a
    }
    fn ptr(&self) -> *const libc::sockaddr {
        &self.st as *const _ as *const libc::sockaddr
    }
    fn mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.st as *mut _ as *mut libc::sockaddr
    }
    /// The port of an AF_INET/AF_INET6 address.
    fn port(&self) -> u16 {
        // SAFETY: sin_port and sin6_port sit at the same offset; both families fill it.
        let s = unsafe { &*(&self.st as *const _ as *const libc::sockaddr_in) };
        u16::from_be(s.sin_port)
    }
}

/// The port a socket is bound to (getsockname(2)).
fn local_port(fd: i64) -> Result<u16, String> {
    let mut a = Sa::zeroed();
    sys!(
        "getsockname",
        libc::SYS_getsockname,
        fd,
        a.mut_ptr(),
        &mut a.len as *mut libc::socklen_t
    )?;
    Ok(a.port())
}

/// setsockopt(fd, SOL_SOCKET, opt, &val, 4).
fn set_int_opt(fd: i64, opt: i32, val: i32) -> Result<i64, String> {
    sys!(
        "setsockopt",
        libc::SYS_setsockopt,
        fd,
        libc::SOL_SOCKET,
        opt,
        &val as *const i32,
        4u32
    )
}

/// getsockopt(fd, SOL_SOCKET, opt) of an int option: its value.
fn get_int_opt(fd: i64, opt: i32) -> Result<i32, String> {
    let mut v = 0i32;
    let mut len: libc::socklen_t = 4;
    sys!(
        "getsockopt",
        libc::SYS_getsockopt,
        fd,
        libc::SOL_SOCKET,
        opt,
        &mut v as *mut i32,
        &mut len as *mut libc::socklen_t
    )?;
    Ok(v)
}

/// sendmsg(fd, {name, one iovec of data}, 0).
fn sendmsg(fd: i64, data: &[u8], to: Option<&Sa>) -> Result<i64, String> {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    if let Some(a) = to {
        m.msg_name = a.ptr() as *mut libc::c_void;
        m.msg_namelen = a.len;
    }
    sys!(
        "sendmsg",
        libc::SYS_sendmsg,
        fd,
        &m as *const libc::msghdr,
        0
    )
}

/// recvmsg(fd, {name buffer, one 64-byte iovec}, 0): the bytes received.
fn recvmsg(fd: i64) -> Result<Vec<u8>, String> {
    let mut buf = [0u8; 64];
    let mut from = Sa::zeroed();
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_name = from.mut_ptr() as *mut libc::c_void;
    m.msg_namelen = from.len;
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    let n = sys!(
        "recvmsg",
        libc::SYS_recvmsg,
        fd,
        &mut m as *mut libc::msghdr,
        0
    )?;
    Ok(buf[..n as usize].to_vec())
}

/// sendto(fd, data, 0, to): `to` None sends on a connected socket (NULL address).
fn sendto(fd: i64, data: &[u8], to: Option<&Sa>) -> Result<i64, String> {
    let (p, l) = to.map_or((std::ptr::null(), 0), |a| (a.ptr(), a.len));
    sys!(
        "sendto",
        libc::SYS_sendto,
        fd,
        data.as_ptr(),
        data.len(),
        0,
        p,
        l
    )
}

/// recvfrom(fd, 64-byte buffer, 0, &from, &len): the bytes received.
fn recvfrom(fd: i64) -> Result<Vec<u8>, String> {
    let mut buf = [0u8; 64];
    let mut from = Sa::zeroed();
    let n = sys!(
        "recvfrom",
        libc::SYS_recvfrom,
        fd,
        buf.as_mut_ptr(),
        buf.len(),
        0,
        from.mut_ptr(),
        &mut from.len as *mut libc::socklen_t
    )?;
    Ok(buf[..n as usize].to_vec())
}

/// sendmmsg(fd, one message per datagram to `to`, n, 0): the messages sent.
fn sendmmsg(fd: i64, datas: &[&[u8]], to: &Sa) -> Result<i64, String> {
    let mut iovs: Vec<libc::iovec> = datas
        .iter()
        .map(|d| libc::iovec {
            iov_base: d.as_ptr() as *mut libc::c_void,
            iov_len: d.len(),
        })
        .collect();
    let mut hs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .map(|iov| {
            // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_name = to.ptr() as *mut libc::c_void;
            h.msg_hdr.msg_namelen = to.len;
            h.msg_hdr.msg_iov = iov;
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    sys!(
        "sendmmsg",
        libc::SYS_sendmmsg,
        fd,
        hs.as_mut_ptr(),
        hs.len(),
        0
    )
}

/// recvmmsg(fd, n 64-byte buffers with name buffers, n, 0, NULL): the datagrams received.
fn recvmmsg(fd: i64, n: usize) -> Result<Vec<Vec<u8>>, String> {
    let mut bufs = vec![[0u8; 64]; n];
    let mut froms: Vec<Sa> = (0..n).map(|_| Sa::zeroed()).collect();
    let mut iovs: Vec<libc::iovec> = bufs
        .iter_mut()
        .map(|b| libc::iovec {
            iov_base: b.as_mut_ptr() as *mut libc::c_void,
            iov_len: b.len(),
        })
        .collect();
    let mut hs: Vec<libc::mmsghdr> = iovs
        .iter_mut()
        .zip(froms.iter_mut())
        .map(|(iov, from)| {
            // SAFETY: mmsghdr is plain old data; all-zero is a valid value.
            let mut h: libc::mmsghdr = unsafe { std::mem::zeroed() };
            h.msg_hdr.msg_name = from.mut_ptr() as *mut libc::c_void;
            h.msg_hdr.msg_namelen = from.len;
            h.msg_hdr.msg_iov = iov;
            h.msg_hdr.msg_iovlen = 1;
            h
        })
        .collect();
    let got = sys!(
        "recvmmsg",
        libc::SYS_recvmmsg,
        fd,
        hs.as_mut_ptr(),
        n,
        0,
        std::ptr::null::<libc::timespec>()
    )? as usize;
    Ok(hs[..got]
        .iter()
        .zip(bufs.iter())
        .map(|(h, b)| b[..h.msg_len as usize].to_vec())
        .collect())
}

/// An inet endpoint as the event decoder shows it.
fn ep(ip: &str, port: u16) -> Value {
    json!({"family": "inet", "ip": ip, "port": port})
}

/// A tuple from `src` to `dst`.
fn tuple(src: Value, dst: Value) -> Value {
    json!({"src": src, "dst": dst})
}

/// libscap's `PPM_O_CLOEXEC`.
const PPM_O_CLOEXEC: i64 = 1 << 12;

/// What libs reports as accept4's `flags` for `flags` passed: libs 0.20's enter event always
/// says 0 (its drivers' tests: "flags are not supported"); from 0.22 the exit event carries
/// SOCK_CLOEXEC as `PPM_O_CLOEXEC`.
fn accept4_flags(flags: i32) -> i64 {
    if !crate::event::exits_carry_enter_params() {
        0
    } else if flags & libc::SOCK_CLOEXEC != 0 {
        PPM_O_CLOEXEC
    } else {
        0
    }
}

/// The payloads the scenarios send.
const HELLO: &[u8] = b"hello";
const WORLD: &[u8] = b"world!";
const PING: &[u8] = b"ping";
const MM1: &[u8] = b"ab";
const MM2: &[u8] = b"cde";
/// The receive timeout set with SO_RCVTIMEO: seconds, microseconds.
const RCVTIMEO: (i64, i64) = (5, 10);
/// listen(2)'s backlog.
const BACKLOG: i64 = 2;

/// What `net_ipv4`/`net_ipv6` did: a TCP connection and a UDP exchange on loopback.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct InetFacts {
    /// IPv6 (::1) rather than IPv4 (127.0.0.1).
    pub v6: bool,
    /// The listening TCP socket and its port.
    pub srv: i64,
    /// Port of `srv`.
    pub srv_port: u16,
    /// The connecting TCP socket.
    pub cli: i64,
    /// Port of `cli`.
    pub cli_port: u16,
    /// The accepted socket.
    pub acc: i64,
    /// getsockopt(acc, SO_RCVBUF).
    pub rcvbuf: i32,
    /// A second client, accepted with accept(2) into an address buffer.
    pub cli2: i64,
    /// Port of `cli2`.
    pub cli2_port: u16,
    /// The socket accept(2) returned.
    pub acc2: i64,
    /// A UDP socket connected to a port nobody listens on.
    pub u3: i64,
    /// Port of `u3`.
    pub u3_port: u16,
    /// The closed port `u3` is connected to.
    pub closed_port: u16,
    /// getsockopt(u3, SO_ERROR) after the ICMP port unreachable (ECONNREFUSED).
    pub u3_err: i32,
    /// Two bound UDP sockets and their ports.
    pub u1: i64,
    /// Port of `u1`.
    pub u1_port: u16,
    /// The sending UDP socket.
    pub u2: i64,
    /// Port of `u2`.
    pub u2_port: u16,
}

fn inet_act(v6: bool) -> Result<InetFacts, String> {
    let af = if v6 { libc::AF_INET6 } else { libc::AF_INET };
    let srv = sys!("socket", libc::SYS_socket, af, libc::SOCK_STREAM, 0)?;
    set_int_opt(srv, libc::SO_REUSEADDR, 1)?;
    let a = Sa::lo(v6, 0);
    sys!("bind", libc::SYS_bind, srv, a.ptr(), a.len)?;
    let srv_port = local_port(srv)?;
    sys!("listen", libc::SYS_listen, srv, BACKLOG)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        af,
        libc::SOCK_STREAM | libc::SOCK_CLOEXEC,
        libc::IPPROTO_TCP
    )?;
    let to = Sa::lo(v6, srv_port);
    sys!("connect", libc::SYS_connect, cli, to.ptr(), to.len)?;
    let cli_port = local_port(cli)?;
    let mut peer = Sa::zeroed();
    let acc = sys!(
        "accept4",
        libc::SYS_accept4,
        srv,
        peer.mut_ptr(),
        &mut peer.len as *mut libc::socklen_t,
        libc::SOCK_CLOEXEC
    )?;
    let mut pn = Sa::zeroed();
    sys!(
        "getpeername",
        libc::SYS_getpeername,
        acc,
        pn.mut_ptr(),
        &mut pn.len as *mut libc::socklen_t
    )?;
    if pn.port() != cli_port || peer.port() != cli_port {
        return Err(format!("peer port {} != {cli_port}", pn.port()));
    }
    let err = get_int_opt(cli, libc::SO_ERROR)?;
    if err != 0 {
        return Err(format!("SO_ERROR {err}"));
    }
    let rcvbuf = get_int_opt(acc, libc::SO_RCVBUF)?;
    let one = 1i32;
    sys!(
        "setsockopt TCP_NODELAY",
        libc::SYS_setsockopt,
        cli,
        libc::SOL_TCP,
        libc::TCP_NODELAY,
        &one as *const i32,
        4u32
    )?;
    let tv = libc::timeval {
        tv_sec: RCVTIMEO.0,
        tv_usec: RCVTIMEO.1,
    };
    sys!(
        "setsockopt SO_RCVTIMEO",
        libc::SYS_setsockopt,
        acc,
        libc::SOL_SOCKET,
        libc::SO_RCVTIMEO,
        &tv as *const libc::timeval,
        std::mem::size_of::<libc::timeval>()
    )?;
    sendto(cli, HELLO, None)?;
    if recvfrom(acc)? != HELLO {
        return Err("recvfrom: not hello".into());
    }
    sendmsg(acc, WORLD, None)?;
    if recvmsg(cli)? != WORLD {
        return Err("recvmsg: not world".into());
    }
    sys!("shutdown", libc::SYS_shutdown, cli, libc::SHUT_WR)?;
    let cli2 = sys!("socket", libc::SYS_socket, af, libc::SOCK_STREAM, 0)?;
    sys!("connect", libc::SYS_connect, cli2, to.ptr(), to.len)?;
    let cli2_port = local_port(cli2)?;
    let mut peer2 = Sa::zeroed();
    let acc2 = sys!(
        "accept",
        libc::SYS_accept,
        srv,
        peer2.mut_ptr(),
        &mut peer2.len as *mut libc::socklen_t
    )?;
    if peer2.port() != cli2_port {
        return Err(format!("accept: peer port {} != {cli2_port}", peer2.port()));
    }

    // A UDP socket connected to a closed port: the ICMP port unreachable sets SO_ERROR.
    let t = sys!("socket", libc::SYS_socket, af, libc::SOCK_DGRAM, 0)?;
    sys!("bind", libc::SYS_bind, t, a.ptr(), a.len)?;
    let closed_port = local_port(t)?;
    sys!("close", libc::SYS_close, t)?;
    let u3 = sys!("socket", libc::SYS_socket, af, libc::SOCK_DGRAM, 0)?;
    let closed = Sa::lo(v6, closed_port);
    sys!("connect", libc::SYS_connect, u3, closed.ptr(), closed.len)?;
    let u3_port = local_port(u3)?;
    sendto(u3, PING, None)?;
    let mut pfd = libc::pollfd {
        fd: u3 as i32,
        events: 0,
        revents: 0,
    };
    sys!(
        "poll",
        libc::SYS_poll,
        &mut pfd as *mut libc::pollfd,
        1,
        1000
    )?;
    let u3_err = get_int_opt(u3, libc::SO_ERROR)?;
    if u3_err != libc::ECONNREFUSED {
        return Err(format!("SO_ERROR after port unreachable: {u3_err}"));
    }

    let u1 = sys!("socket", libc::SYS_socket, af, libc::SOCK_DGRAM, 0)?;
    sys!("bind", libc::SYS_bind, u1, a.ptr(), a.len)?;
    let u1_port = local_port(u1)?;
    let u2 = sys!("socket", libc::SYS_socket, af, libc::SOCK_DGRAM, 0)?;
    sys!("bind", libc::SYS_bind, u2, a.ptr(), a.len)?;
    let u2_port = local_port(u2)?;
    let to1 = Sa::lo(v6, u1_port);
    sendto(u2, PING, Some(&to1))?;
    if recvfrom(u1)? != PING {
        return Err("recvfrom: not ping".into());
    }
    sendmmsg(u2, &[MM1, MM2], &to1)?;
    let got = recvmmsg(u1, 2)?;
    if got != [MM1.to_vec(), MM2.to_vec()] {
        return Err(format!("recvmmsg got {got:?}"));
    }
    for fd in [srv, cli, acc, cli2, acc2, u3, u1, u2] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(InetFacts {
        v6,
        srv,
        srv_port,
        cli,
        cli_port,
        acc,
        rcvbuf,
        cli2,
        cli2_port,
        acc2,
        u3,
        u3_port,
        closed_port,
        u3_err,
        u1,
        u1_port,
        u2,
        u2_port,
    })
}

fn ipv4_act(_dir: &Path) -> Result<InetFacts, String> {
    inet_act(false)
}

fn ipv6_act(_dir: &Path) -> Result<InetFacts, String> {
    inet_act(true)
}

/// A PT_DYN sockopt value: libs' type index, then the value's bytes.
fn sockopt_val(idx: u8, v: &[u8]) -> Value {
    let mut b = vec![idx];
    b.extend_from_slice(v);
    Value::from(b)
}
const SOCKOPT_IDX_ERRNO: u8 = 1;
const SOCKOPT_IDX_UINT32: u8 = 2;
const SOCKOPT_IDX_TIMEVAL: u8 = 4;
const SOCKOPT_IDX_UNKNOWN: u8 = 0;

fn inet_expect(f: &InetFacts, pid: i64) -> Expectation {
    let (ip, af, tc) = if f.v6 {
        ("::1", "AF_INET6", "6")
    } else {
        ("127.0.0.1", "AF_INET", "4")
    };
    let srv = ep(ip, f.srv_port);
    let cli = ep(ip, f.cli_port);
    let u1 = ep(ip, f.u1_port);
    let u2 = ep(ip, f.u2_port);
    let cli2 = ep(ip, f.cli2_port);
    let u3 = ep(ip, f.u3_port);
    let closed = ep(ip, f.closed_port);
    let fd_name = if f.v6 {
        format!("::1:{}->::1:{}", f.cli_port, f.srv_port)
    } else {
        format!("127.0.0.1:{}->127.0.0.1:{}", f.cli_port, f.srv_port)
    };
    let any = ep(ip, 0);
    Expectation::new(vec![sequence([
        syscall("the server socket", "socket", pid)
            .param("fd", eq(f.srv))
            .flags("domain", &[af])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .param("flags", eq(0)),
        syscall("SO_REUSEADDR on", "setsockopt", pid)
            .param("res", eq(0))
            .param("fd", eq(f.srv))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_REUSEADDR"])
            .param(
                "val",
                eq(sockopt_val(SOCKOPT_IDX_UINT32, &1u32.to_le_bytes())),
            )
            .param("optlen", eq(4)),
        syscall("bind to loopback port 0", "bind", pid)
            .param("res", eq(0))
            .param("fd", eq(f.srv))
            .param("addr", eq(any.clone())),
        syscall("getsockname of the server", "getsockname", pid),
        syscall("listen", "listen", pid)
            .param("res", eq(0))
            .param("fd", eq(f.srv))
            .param("backlog", eq(BACKLOG)),
        syscall("the client socket, close-on-exec", "socket", pid)
            .param("fd", eq(f.cli))
            .flags("domain", &[af])
            .param("type", eq(libc::SOCK_STREAM | libc::SOCK_CLOEXEC))
            .param("proto", eq(libc::IPPROTO_TCP))
            .flags("flags", &["O_CLOEXEC"])
            .field("fd.typechar", eq(tc)),
        syscall("connect to the server", "connect", pid)
            .param("res", eq(0))
            .param("fd", eq(f.cli))
            .param("addr", eq(srv.clone()))
            .param("tuple", eq(tuple(cli.clone(), srv.clone())))
            .field("fd.num", eq(f.cli))
            .field("fd.typechar", eq(tc))
            .field("fd.l4proto", eq("tcp"))
            .field("fd.sockfamily", eq("ip"))
            .field("fd.cip", eq(ip))
            .field("fd.cport", eq(f.cli_port))
            .field("fd.sip", eq(ip))
            .field("fd.sport", eq(f.srv_port))
            .field("fd.name", eq(fd_name.clone())),
        syscall("accept4 the connection, close-on-exec", "accept4", pid)
            .param("fd", eq(f.acc))
            .param("tuple", eq(tuple(cli.clone(), srv.clone())))
            .param("queuepct", eq(0))
            .param("queuelen", eq(0))
            .param("queuemax", eq(BACKLOG))
            .param("flags", eq(accept4_flags(libc::SOCK_CLOEXEC)))
            .field("fd.num", eq(f.acc))
            .field("fd.typechar", eq(tc))
            .field("fd.l4proto", eq("tcp"))
            .field("fd.sockfamily", eq("ip"))
            .field("fd.cip", eq(ip))
            .field("fd.cport", eq(f.cli_port))
            .field("fd.sip", eq(ip))
            .field("fd.sport", eq(f.srv_port))
            .field("fd.name", eq(fd_name)),
        syscall("getpeername of the accepted socket", "getpeername", pid),
        syscall("SO_ERROR of the client is 0", "getsockopt", pid)
            .param("res", eq(0))
            .param("fd", eq(f.cli))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_ERROR"])
            .param(
                "val",
                eq(sockopt_val(SOCKOPT_IDX_ERRNO, &0i64.to_le_bytes())),
            )
            .param("optlen", eq(4)),
        syscall("SO_RCVBUF of the accepted socket", "getsockopt", pid)
            .param("res", eq(0))
            .param("fd", eq(f.acc))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_RCVBUF"])
            .param(
                "val",
                eq(sockopt_val(SOCKOPT_IDX_UINT32, &f.rcvbuf.to_le_bytes())),
            )
            .param("optlen", eq(4)),
        syscall(
            "TCP_NODELAY (a level libs does not decode)",
            "setsockopt",
            pid,
        )
        .param("res", eq(0))
        .param("fd", eq(f.cli))
        .flags("level", &["SOL_TCP"])
        .flags("optname", &["UNKNOWN"])
        .param(
            "val",
            eq(sockopt_val(SOCKOPT_IDX_UNKNOWN, &1u32.to_le_bytes())),
        )
        .param("optlen", eq(4)),
        syscall("SO_RCVTIMEO: a timeval", "setsockopt", pid)
            .param("res", eq(0))
            .param("fd", eq(f.acc))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_RCVTIMEO"])
            .param(
                "val",
                eq(sockopt_val(
                    SOCKOPT_IDX_TIMEVAL,
                    &((RCVTIMEO.0 * 1_000_000_000 + RCVTIMEO.1 * 1000) as u64).to_le_bytes(),
                )),
            )
            .param("optlen", eq(std::mem::size_of::<libc::timeval>())),
        syscall("sendto on the connection (NULL address)", "sendto", pid)
            .param("res", eq(HELLO.len()))
            .param("fd", eq(f.cli))
            .param("size", eq(HELLO.len()))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", eq(tuple(cli.clone(), srv.clone()))),
        syscall("recvfrom on the accepted socket", "recvfrom", pid)
            .param("res", eq(HELLO.len()))
            .param("fd", eq(f.acc))
            .param("size", eq(64))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", eq(tuple(cli.clone(), srv.clone()))),
        syscall("sendmsg back to the client", "sendmsg", pid)
            .param("res", eq(WORLD.len()))
            .param("fd", eq(f.acc))
            .param("size", eq(WORLD.len()))
            .param("data", eq(WORLD.to_vec()))
            .param("tuple", eq(tuple(srv.clone(), cli.clone()))),
        syscall("recvmsg on the client", "recvmsg", pid)
            .param("res", eq(WORLD.len()))
            .param("fd", eq(f.cli))
            .param("size", eq(WORLD.len()))
            .param("data", eq(WORLD.to_vec()))
            .param("tuple", eq(tuple(srv.clone(), cli.clone())))
            .param("msgcontrol", absent()),
        syscall("shutdown the client's write side", "shutdown", pid)
            .param("res", eq(0))
            .param("fd", eq(f.cli))
            .flags("how", &["SHUT_WR"]),
        syscall("a second client socket", "socket", pid)
            .param("fd", eq(f.cli2))
            .flags("domain", &[af])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .param("flags", eq(0)),
        syscall("the second client connects", "connect", pid)
            .param("res", eq(0))
            .param("fd", eq(f.cli2))
            .param("addr", eq(srv.clone()))
            .param("tuple", eq(tuple(cli2.clone(), srv.clone())))
            .field("fd.cport", eq(f.cli2_port)),
        syscall("accept it into an address buffer", "accept", pid)
            .param("fd", eq(f.acc2))
            .param("tuple", eq(tuple(cli2, srv.clone())))
            .param("queuepct", eq(0))
            .param("queuelen", eq(0))
            .param("queuemax", eq(BACKLOG))
            .field("fd.num", eq(f.acc2))
            .field("fd.typechar", eq(tc))
            .field("fd.l4proto", eq("tcp"))
            .field("fd.cip", eq(ip))
            .field("fd.cport", eq(f.cli2_port))
            .field("fd.sip", eq(ip))
            .field("fd.sport", eq(f.srv_port)),
        syscall("connect a UDP socket to a closed port", "connect", pid)
            .param("res", eq(0))
            .param("fd", eq(f.u3))
            .param("addr", eq(closed.clone()))
            .param("tuple", eq(tuple(u3.clone(), closed.clone())))
            .field("fd.l4proto", eq("udp"))
            .field("fd.typechar", eq(tc))
            .field("fd.cport", eq(f.u3_port))
            .field("fd.sport", eq(f.closed_port)),
        syscall("send on it (NULL address)", "sendto", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.u3))
            .param("size", eq(PING.len()))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(u3, closed))),
        syscall("SO_ERROR says ECONNREFUSED", "getsockopt", pid)
            .param("res", eq(0))
            .param("fd", eq(f.u3))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_ERROR"])
            .param(
                "val",
                eq(sockopt_val(
                    SOCKOPT_IDX_ERRNO,
                    &(-(f.u3_err as i64)).to_le_bytes(),
                )),
            )
            .param("optlen", eq(4)),
        syscall("a UDP socket", "socket", pid)
            .param("fd", eq(f.u1))
            .flags("domain", &[af])
            .param("type", eq(libc::SOCK_DGRAM))
            .param("proto", eq(0))
            .param("flags", eq(0)),
        syscall("bind it", "bind", pid)
            .param("res", eq(0))
            .param("fd", eq(f.u1))
            .param("addr", eq(any.clone())),
        syscall("sendto a UDP address", "sendto", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.u2))
            .param("size", eq(PING.len()))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(u2.clone(), u1.clone())))
            .field("fd.l4proto", eq("udp"))
            .field("fd.typechar", eq(tc)),
        syscall("recvfrom the UDP peer", "recvfrom", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.u1))
            .param("size", eq(64))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(u2.clone(), u1.clone()))),
        syscall("sendmmsg: the first datagram", "sendmmsg", pid)
            .param("res", eq(MM1.len()))
            .param("fd", eq(f.u2))
            .param("size", eq(MM1.len()))
            .param("data", eq(MM1.to_vec()))
            .param("tuple", eq(tuple(u2.clone(), u1.clone()))),
        event("sendmmsg: the second datagram")
            .ty("sendmmsg")
            .pid(pid as u32)
            .exit()
            .param("res", eq(MM2.len()))
            .param("fd", eq(f.u2))
            .param("size", eq(MM2.len()))
            .param("data", eq(MM2.to_vec()))
            .param("tuple", eq(tuple(u2.clone(), u1.clone()))),
        syscall("recvmmsg: the first datagram", "recvmmsg", pid)
            .param("res", eq(MM1.len()))
            .param("fd", eq(f.u1))
            .param("size", eq(MM1.len()))
            .param("data", eq(MM1.to_vec()))
            .param("tuple", eq(tuple(u2.clone(), u1.clone())))
            .param("msgcontrol", absent()),
        event("recvmmsg: the second datagram")
            .ty("recvmmsg")
            .pid(pid as u32)
            .exit()
            .param("res", eq(MM2.len()))
            .param("fd", eq(f.u1))
            .param("size", eq(MM2.len()))
            .param("data", eq(MM2.to_vec()))
            .param("tuple", eq(tuple(u2, u1)))
            .param("msgcontrol", absent()),
    ])])
}

/// What `net_unix` did: a socketpair, a named stream socket and a named datagram socket.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct UnixFacts {
    /// The socketpair's ends.
    pub sp: [i64; 2],
    /// The file whose fd went over the socketpair with SCM_RIGHTS.
    pub file: String,
    /// Its fd in the sender.
    pub file_fd: i64,
    /// The fd recvmsg installed for it.
    pub got_fd: i64,
    /// recvmsg's control buffer, `msg_controllen` bytes of it.
    pub ctl: Vec<u8>,
    /// The listening stream socket's path.
    pub path: String,
    /// The listening stream socket.
    pub srv: i64,
    /// The connecting stream socket.
    pub cli: i64,
    /// The accepted socket.
    pub acc: i64,
    /// A second client.
    pub cli2: i64,
    /// It, accepted with accept4(2).
    pub acc2: i64,
    /// The bound datagram socket's path.
    pub dpath: String,
    /// The bound datagram socket.
    pub d1: i64,
    /// The unbound datagram socket sending to it.
    pub d2: i64,
    /// A datagram socket bound to an abstract name.
    pub d3: i64,
    /// The abstract name (without its leading NUL).
    pub abs: String,
}

fn unix_act(dir: &Path) -> Result<UnixFacts, String> {
    let mut sp = [0i32; 2];
    sys!(
        "socketpair",
        libc::SYS_socketpair,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0,
        sp.as_mut_ptr()
    )?;
    let sp = [sp[0] as i64, sp[1] as i64];
    sendmsg(sp[0], HELLO, None)?;
    if recvmsg(sp[1])? != HELLO {
        return Err("socketpair recvmsg: not hello".into());
    }
    let file = dir.join("passed").to_string_lossy().into_owned();
    let fc = cs(&file);
    let file_fd = sys!(
        "openat",
        libc::SYS_openat,
        libc::AT_FDCWD,
        fc.as_ptr(),
        libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC,
        0o600
    )?;
    sendmsg_fd(sp[0], PING, file_fd as i32)?;
    let (got_fd, ctl) = recvmsg_fd(sp[1])?;
    let st = (fstat(file_fd)?, fstat(got_fd)?);
    if (st.0.dev, st.0.ino) != (st.1.dev, st.1.ino) {
        return Err("SCM_RIGHTS: the received fd is another file".into());
    }
    let path = dir.join("srv.sock").to_string_lossy().into_owned();
    let a = Sa::unix(&path);
    let srv = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, srv, a.ptr(), a.len)?;
    sys!("listen", libc::SYS_listen, srv, BACKLOG)?;
    let cli = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("connect", libc::SYS_connect, cli, a.ptr(), a.len)?;
    let acc = sys!(
        "accept",
        libc::SYS_accept,
        srv,
        std::ptr::null::<libc::sockaddr>(),
        std::ptr::null::<libc::socklen_t>()
    )?;
    let cli2 = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("connect", libc::SYS_connect, cli2, a.ptr(), a.len)?;
    let acc2 = sys!(
        "accept4",
        libc::SYS_accept4,
        srv,
        std::ptr::null::<libc::sockaddr>(),
        std::ptr::null::<libc::socklen_t>(),
        libc::SOCK_CLOEXEC
    )?;
    let mut n = Sa::zeroed();
    sys!(
        "getsockname",
        libc::SYS_getsockname,
        srv,
        n.mut_ptr(),
        &mut n.len as *mut libc::socklen_t
    )?;
    let mut pn = Sa::zeroed();
    sys!(
        "getpeername",
        libc::SYS_getpeername,
        cli,
        pn.mut_ptr(),
        &mut pn.len as *mut libc::socklen_t
    )?;
    sendto(cli, HELLO, None)?;
    if recvfrom(acc)? != HELLO {
        return Err("recvfrom: not hello".into());
    }
    sendmsg(acc, WORLD, None)?;
    if recvmsg(cli)? != WORLD {
        return Err("recvmsg: not world".into());
    }
    sys!("shutdown", libc::SYS_shutdown, acc, libc::SHUT_RDWR)?;
    let dpath = dir.join("dg.sock").to_string_lossy().into_owned();
    let da = Sa::unix(&dpath);
    let d1 = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_DGRAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, d1, da.ptr(), da.len)?;
    let d2 = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_DGRAM,
        0
    )?;
    sendto(d2, PING, Some(&da))?;
    if recvfrom(d1)? != PING {
        return Err("recvfrom: not ping".into());
    }
    sendmsg(d2, WORLD, Some(&da))?;
    if recvmsg(d1)? != WORLD {
        return Err("recvmsg: not world".into());
    }
    sys!("close", libc::SYS_close, got_fd)?;
    sys!("close", libc::SYS_close, file_fd)?;
    // An abstract name: a leading NUL, no file. Passed with the whole sockaddr_un as its length
    // (the name is then padded with NULs): libs reads a unix path up to a NUL, not up to the
    // address length, so a name given without trailing NULs is reported with the bytes a
    // previous address left in the driver's scratch buffer after it (reported).
    let abs = format!("sinspqa-{}", getpid());
    let mut aa = Sa::unix(&format!("@{abs}"));
    // SAFETY: `aa` holds a sockaddr_un (Sa::unix); its path's first byte becomes the NUL.
    unsafe { (*(aa.mut_ptr() as *mut libc::sockaddr_un)).sun_path[0] = 0 };
    aa.len = std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t;
    let d3 = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_DGRAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, d3, aa.ptr(), aa.len)?;
    sendto(d2, PING, Some(&aa))?;
    if recvfrom(d3)? != PING {
        return Err("abstract recvfrom: not ping".into());
    }
    for fd in [sp[0], sp[1], srv, cli, acc, cli2, acc2, d1, d2, d3] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(UnixFacts {
        sp,
        file,
        file_fd,
        got_fd,
        ctl,
        path,
        srv,
        cli,
        acc,
        cli2,
        acc2,
        dpath,
        d1,
        d2,
        d3,
        abs,
    })
}

/// Room for one SCM_RIGHTS control message carrying one fd (CMSG_SPACE(4) on x86_64).
const CMSG_FD_SPACE: usize = 24;

/// sendmsg(fd, {one iovec of data, SCM_RIGHTS of `pass`}, 0).
fn sendmsg_fd(fd: i64, data: &[u8], pass: i32) -> Result<i64, String> {
    let mut iov = libc::iovec {
        iov_base: data.as_ptr() as *mut libc::c_void,
        iov_len: data.len(),
    };
    let mut ctl = [0u64; CMSG_FD_SPACE / 8];
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.as_mut_ptr() as *mut libc::c_void;
    m.msg_controllen = CMSG_FD_SPACE;
    // SAFETY: the control buffer is CMSG_SPACE(4) bytes, 8-aligned: room for one cmsghdr
    // carrying one int, which CMSG_FIRSTHDR/CMSG_DATA address inside it.
    unsafe {
        let c = libc::CMSG_FIRSTHDR(&m);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(4) as usize;
        std::ptr::write_unaligned(libc::CMSG_DATA(c) as *mut i32, pass);
    }
    sys!(
        "sendmsg",
        libc::SYS_sendmsg,
        fd,
        &m as *const libc::msghdr,
        0
    )
}

/// recvmsg(fd, {one 64-byte iovec, a CMSG_SPACE(4) control buffer}, 0): the fd received with
/// SCM_RIGHTS and the control bytes the kernel filled.
fn recvmsg_fd(fd: i64) -> Result<(i64, Vec<u8>), String> {
    let mut buf = [0u8; 64];
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr() as *mut libc::c_void,
        iov_len: buf.len(),
    };
    let mut ctl = [0u64; CMSG_FD_SPACE / 8];
    // SAFETY: msghdr is plain old data; all-zero is a valid value.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_iov = &mut iov;
    m.msg_iovlen = 1;
    m.msg_control = ctl.as_mut_ptr() as *mut libc::c_void;
    m.msg_controllen = CMSG_FD_SPACE;
    sys!(
        "recvmsg",
        libc::SYS_recvmsg,
        fd,
        &mut m as *mut libc::msghdr,
        0
    )?;
    // SAFETY: the kernel filled the control buffer; CMSG_FIRSTHDR checks msg_controllen.
    let got = unsafe {
        let c = libc::CMSG_FIRSTHDR(&m);
        if c.is_null() || (*c).cmsg_type != libc::SCM_RIGHTS {
            return Err("recvmsg: no SCM_RIGHTS".into());
        }
        std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const i32)
    };
    let bytes: Vec<u8> = ctl.iter().flat_map(|w| w.to_ne_bytes()).collect();
    Ok((got as i64, bytes[..m.msg_controllen].to_vec()))
}

/// An AF_UNIX endpoint as the event decoder shows it.
fn uep(path: &str) -> Value {
    json!({"family": "unix", "path": path})
}

/// libsinsp's name of a connected unix socket: "<source>-><peer> <path>", the two kernel
/// addresses in hex.
fn unix_fd_name(path: &str) -> Pred {
    regex(&format!("^[0-9a-f]+->[0-9a-f]+ {}$", regex::escape(path)))
}

/// A unix tuple shows one path (the decoder's `dst`): a send's shows the peer's, a receive's the
/// receiving socket's own (the client is unnamed, the accepted socket has the listener's path).
fn unix_expect(f: &UnixFacts, pid: i64) -> Expectation {
    let path = f.path.as_str();
    let dpath = f.dpath.as_str();
    Expectation::new(vec![sequence([
        syscall("socketpair of AF_UNIX stream sockets", "socketpair", pid)
            .param("res", eq(0))
            .param("fd1", eq(f.sp[0]))
            .param("fd2", eq(f.sp[1]))
            .param("source", ne(0))
            .param("peer", ne(0))
            .unchecked("source", "kernel address")
            .unchecked("peer", "kernel address")
            .flags("domain", &["AF_LOCAL"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .field("fd.typechar", eq("u")),
        syscall("sendmsg on the socketpair", "sendmsg", pid)
            .param("res", eq(HELLO.len()))
            .param("fd", eq(f.sp[0]))
            .param("size", eq(HELLO.len()))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep("")))),
        syscall("recvmsg on the socketpair", "recvmsg", pid)
            .param("res", eq(HELLO.len()))
            .param("fd", eq(f.sp[1]))
            .param("size", eq(HELLO.len()))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(""))))
            .param("msgcontrol", absent()),
        syscall("sendmsg an fd with SCM_RIGHTS", "sendmsg", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.sp[0]))
            .param("size", eq(PING.len()))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep("")))),
        syscall("recvmsg the fd", "recvmsg", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.sp[1]))
            .param("size", eq(PING.len()))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(""))))
            // libsinsp 0.20 names the received fd (its close's fd.name is the file); 0.25.4
            // leaves fd.name empty: not asserted here, reported.
            .param("msgcontrol", eq(f.ctl.clone())),
        syscall("a unix stream socket", "socket", pid)
            .param("fd", eq(f.srv))
            .flags("domain", &["AF_LOCAL"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0))
            .param("flags", eq(0)),
        syscall("bind it to a path", "bind", pid)
            .param("res", eq(0))
            .param("fd", eq(f.srv))
            .param("addr", eq(uep(path))),
        syscall("listen", "listen", pid)
            .param("res", eq(0))
            .param("fd", eq(f.srv))
            .param("backlog", eq(BACKLOG)),
        syscall("connect to the path", "connect", pid)
            .param("res", eq(0))
            .param("fd", eq(f.cli))
            .param("addr", eq(uep(path)))
            .param("tuple", eq(tuple(uep(""), uep(path))))
            .field("fd.num", eq(f.cli))
            .field("fd.typechar", eq("u"))
            .field("fd.sockfamily", eq("unix"))
            .field("fd.name", unix_fd_name(path)),
        syscall("accept with no address buffer", "accept", pid)
            .param("fd", eq(f.acc))
            .param("tuple", eq(tuple(uep(""), uep(path))))
            .param("queuepct", eq(0))
            .param("queuelen", eq(0))
            .param("queuemax", eq(BACKLOG))
            .field("fd.num", eq(f.acc))
            .field("fd.typechar", eq("u"))
            .field("fd.sockfamily", eq("unix"))
            .field("fd.name", unix_fd_name(path)),
        syscall("connect a second client", "connect", pid)
            .param("res", eq(0))
            .param("fd", eq(f.cli2))
            .param("addr", eq(uep(path)))
            .param("tuple", eq(tuple(uep(""), uep(path)))),
        syscall(
            "accept4 it, close-on-exec, no address buffer",
            "accept4",
            pid,
        )
        .param("fd", eq(f.acc2))
        .param("tuple", eq(tuple(uep(""), uep(path))))
        .param("queuepct", eq(0))
        .param("queuelen", eq(0))
        .param("queuemax", eq(BACKLOG))
        .param("flags", eq(accept4_flags(libc::SOCK_CLOEXEC)))
        .field("fd.num", eq(f.acc2))
        .field("fd.typechar", eq("u"))
        .field("fd.sockfamily", eq("unix"))
        .field("fd.name", unix_fd_name(path)),
        syscall("getsockname of the listener", "getsockname", pid),
        syscall("getpeername of the client", "getpeername", pid),
        syscall("sendto on the connection", "sendto", pid)
            .param("res", eq(HELLO.len()))
            .param("fd", eq(f.cli))
            .param("size", eq(HELLO.len()))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(path)))),
        syscall("recvfrom on the accepted socket", "recvfrom", pid)
            .param("res", eq(HELLO.len()))
            .param("fd", eq(f.acc))
            .param("size", eq(64))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(path)))),
        // The accepted socket's peer (the client) has no path.
        syscall("sendmsg back", "sendmsg", pid)
            .param("res", eq(WORLD.len()))
            .param("fd", eq(f.acc))
            .param("size", eq(WORLD.len()))
            .param("data", eq(WORLD.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep("")))),
        syscall("recvmsg on the client", "recvmsg", pid)
            .param("res", eq(WORLD.len()))
            .param("fd", eq(f.cli))
            .param("size", eq(WORLD.len()))
            .param("data", eq(WORLD.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(""))))
            .param("msgcontrol", absent()),
        syscall("shutdown both directions", "shutdown", pid)
            .param("res", eq(0))
            .param("fd", eq(f.acc))
            .flags("how", &["SHUT_RDWR"]),
        syscall("bind a datagram socket", "bind", pid)
            .param("res", eq(0))
            .param("fd", eq(f.d1))
            .param("addr", eq(uep(dpath))),
        syscall("sendto its path", "sendto", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.d2))
            .param("size", eq(PING.len()))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(dpath)))),
        syscall("recvfrom on it", "recvfrom", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.d1))
            .param("size", eq(64))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(dpath)))),
        syscall("sendmsg to its path", "sendmsg", pid)
            .param("res", eq(WORLD.len()))
            .param("fd", eq(f.d2))
            .param("size", eq(WORLD.len()))
            .param("data", eq(WORLD.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(dpath)))),
        syscall("recvmsg on it", "recvmsg", pid)
            .param("res", eq(WORLD.len()))
            .param("fd", eq(f.d1))
            .param("size", eq(WORLD.len()))
            .param("data", eq(WORLD.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(dpath))))
            .param("msgcontrol", absent()),
        // libs drops an abstract name's leading NUL and marks it in no way: "name", as a
        // relative path would be.
        syscall("bind a datagram socket to an abstract name", "bind", pid)
            .param("res", eq(0))
            .param("fd", eq(f.d3))
            .param("addr", eq(uep(&f.abs))),
        syscall("sendto the abstract name", "sendto", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.d2))
            .param("size", eq(PING.len()))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(&f.abs)))),
        syscall("recvfrom on it", "recvfrom", pid)
            .param("res", eq(PING.len()))
            .param("fd", eq(f.d3))
            .param("size", eq(64))
            .param("data", eq(PING.to_vec()))
            .param("tuple", eq(tuple(uep(""), uep(&f.abs)))),
    ])])
}

/// What `net_failures` did: each socket call refused.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct FailFacts {
    /// A TCP socket bound to a loopback port, not listening.
    pub b: i64,
    /// Its port (connecting to it is refused).
    pub port: u16,
    /// The TCP socket whose connect was refused.
    pub c: i64,
    /// An IPv6 TCP socket bound to a ::1 port, not listening.
    pub b6: i64,
    /// Its port.
    pub port6: u16,
    /// The IPv6 socket whose connect was refused.
    pub c6: i64,
    /// A unix socket bound to a path, not listening.
    pub ub: i64,
    /// Its path.
    pub upath: String,
    /// A path no socket is bound to.
    pub nopath: String,
    /// The unix socket whose connect found nothing there.
    pub u: i64,
    /// Each failure's `-errno`, in the order below.
    pub res: Vec<i64>,
}

fn fail_act(dir: &Path) -> Result<FailFacts, String> {
    let mut res = Vec::new();
    let nul = std::ptr::null::<u8>();
    res.push(sys_fail!(
        "socket bad type",
        libc::SYS_socket,
        libc::AF_INET,
        9999,
        0
    )?);
    let mut sv = [0i32; 2];
    res.push(sys_fail!(
        "socketpair AF_INET",
        libc::SYS_socketpair,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0,
        sv.as_mut_ptr()
    )?);
    res.push(sys_fail!(
        "socketpair EFAULT",
        libc::SYS_socketpair,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0,
        BAD_PTR
    )?);
    let a = Sa::lo(false, 0);
    res.push(sys_fail!("bind(-1)", libc::SYS_bind, -1, a.ptr(), a.len)?);
    let b = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, b, a.ptr(), a.len)?;
    let port = local_port(b)?;
    let to = Sa::lo(false, port);
    let c = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET,
        libc::SOCK_STREAM,
        0
    )?;
    res.push(sys_fail!(
        "connect refused",
        libc::SYS_connect,
        c,
        to.ptr(),
        to.len
    )?);
    res.push(sys_fail!(
        "connect(-1)",
        libc::SYS_connect,
        -1,
        to.ptr(),
        to.len
    )?);
    let nopath = dir.join("nobody.sock").to_string_lossy().into_owned();
    let na = Sa::unix(&nopath);
    let u = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    res.push(sys_fail!(
        "connect ENOENT",
        libc::SYS_connect,
        u,
        na.ptr(),
        na.len
    )?);
    let a6 = Sa::lo(true, 0);
    let b6 = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET6,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, b6, a6.ptr(), a6.len)?;
    let port6 = local_port(b6)?;
    let to6 = Sa::lo(true, port6);
    let c6 = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_INET6,
        libc::SOCK_STREAM,
        0
    )?;
    res.push(sys_fail!(
        "connect ::1 refused",
        libc::SYS_connect,
        c6,
        to6.ptr(),
        to6.len
    )?);
    let upath = dir.join("deaf.sock").to_string_lossy().into_owned();
    let ua = Sa::unix(&upath);
    let ub = sys!(
        "socket",
        libc::SYS_socket,
        libc::AF_UNIX,
        libc::SOCK_STREAM,
        0
    )?;
    sys!("bind", libc::SYS_bind, ub, ua.ptr(), ua.len)?;
    res.push(sys_fail!(
        "connect unix refused",
        libc::SYS_connect,
        u,
        ua.ptr(),
        ua.len
    )?);
    res.push(sys_fail!("listen(-1)", libc::SYS_listen, -1, 5)?);
    res.push(sys_fail!("accept(-1)", libc::SYS_accept, -1, nul, nul)?);
    res.push(sys_fail!(
        "accept4(-1)",
        libc::SYS_accept4,
        -1,
        nul,
        nul,
        0
    )?);
    let mut n = Sa::zeroed();
    res.push(sys_fail!(
        "getsockname(-1)",
        libc::SYS_getsockname,
        -1,
        n.mut_ptr(),
        &mut n.len as *mut libc::socklen_t
    )?);
    res.push(sys_fail!(
        "getpeername not connected",
        libc::SYS_getpeername,
        b,
        n.mut_ptr(),
        &mut n.len as *mut libc::socklen_t
    )?);
    res.push(sys_fail!(
        "setsockopt EFAULT",
        libc::SYS_setsockopt,
        b,
        libc::SOL_SOCKET,
        libc::SO_RCVBUF,
        BAD_PTR,
        4u32
    )?);
    let mut v = 7i32;
    let mut vl: libc::socklen_t = 4;
    res.push(sys_fail!(
        "getsockopt(-1)",
        libc::SYS_getsockopt,
        -1,
        libc::SOL_SOCKET,
        libc::SO_RCVBUF,
        &mut v as *mut i32,
        &mut vl as *mut libc::socklen_t
    )?);
    res.push(sys_fail!(
        "sendto(-1)",
        libc::SYS_sendto,
        -1,
        HELLO.as_ptr(),
        HELLO.len(),
        0,
        to.ptr(),
        to.len
    )?);
    let mut buf = [0u8; 16];
    res.push(sys_fail!(
        "recvfrom(-1)",
        libc::SYS_recvfrom,
        -1,
        buf.as_mut_ptr(),
        buf.len(),
        0,
        nul,
        nul
    )?);
    // SAFETY: msghdr/mmsghdr are plain old data; all-zero is a valid value.
    let m: libc::msghdr = unsafe { std::mem::zeroed() };
    res.push(sys_fail!(
        "sendmsg(-1)",
        libc::SYS_sendmsg,
        -1,
        &m as *const libc::msghdr,
        0
    )?);
    res.push(sys_fail!(
        "recvmsg(-1)",
        libc::SYS_recvmsg,
        -1,
        &m as *const libc::msghdr,
        0
    )?);
    // SAFETY: as above.
    let mut mm: libc::mmsghdr = unsafe { std::mem::zeroed() };
    res.push(sys_fail!(
        "sendmmsg(-1)",
        libc::SYS_sendmmsg,
        -1,
        &mut mm as *mut libc::mmsghdr,
        1,
        0
    )?);
    res.push(sys_fail!(
        "recvmmsg(-1)",
        libc::SYS_recvmmsg,
        -1,
        &mut mm as *mut libc::mmsghdr,
        1,
        0,
        std::ptr::null::<libc::timespec>()
    )?);
    res.push(sys_fail!(
        "shutdown(-1)",
        libc::SYS_shutdown,
        -1,
        libc::SHUT_RDWR
    )?);
    res.push(sys_fail!(
        "shutdown not connected",
        libc::SYS_shutdown,
        b,
        libc::SHUT_RD
    )?);
    for fd in [b, c, u, b6, c6, ub] {
        sys!("close", libc::SYS_close, fd)?;
    }
    Ok(FailFacts {
        b,
        port,
        c,
        b6,
        port6,
        c6,
        ub,
        upath,
        nopath,
        u,
        res,
    })
}

fn fail_expect(f: &FailFacts, pid: i64) -> Expectation {
    let r = |i: usize| eq(f.res.get(i).copied().unwrap_or(0));
    let to = ep("127.0.0.1", f.port);
    let any = ep("127.0.0.1", 0);
    Expectation::new(vec![sequence([
        syscall("socket of a bad type fails", "socket", pid)
            .param("fd", r(0))
            .flags("domain", &["AF_INET"])
            .param("type", eq(9999))
            .param("proto", eq(0))
            .param("flags", eq(0)),
        syscall("socketpair of AF_INET fails", "socketpair", pid)
            .param("res", r(1))
            .param("fd1", eq(-1))
            .param("fd2", eq(-1))
            .param("source", eq(0))
            .param("peer", eq(0))
            .flags("domain", &["AF_INET"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0)),
        syscall("socketpair into a bad pointer fails", "socketpair", pid)
            .param("res", r(2))
            .param("fd1", eq(-1))
            .param("fd2", eq(-1))
            .param("source", eq(0))
            .param("peer", eq(0))
            .flags("domain", &["AF_LOCAL"])
            .param("type", eq(libc::SOCK_STREAM))
            .param("proto", eq(0)),
        syscall("bind of a bad fd fails", "bind", pid)
            .param("res", r(3))
            .param("fd", eq(-1))
            .param("addr", eq(any)),
        syscall(
            "connect to a port nobody listens on is refused",
            "connect",
            pid,
        )
        .param("res", r(4))
        .param("fd", eq(f.c))
        .param("addr", eq(to.clone()))
        .param("tuple", absent()),
        syscall("connect of a bad fd fails", "connect", pid)
            .param("res", r(5))
            .param("fd", eq(-1))
            .param("addr", eq(to.clone()))
            .param("tuple", absent()),
        syscall("connect to a missing unix path fails", "connect", pid)
            .param("res", r(6))
            .param("fd", eq(f.u))
            .param("addr", eq(uep(&f.nopath)))
            .param("tuple", absent()),
        syscall(
            "connect to ::1 where nobody listens is refused",
            "connect",
            pid,
        )
        .param("res", r(7))
        .param("fd", eq(f.c6))
        .param("addr", eq(ep("::1", f.port6)))
        .param("tuple", absent()),
        syscall(
            "connect to a unix socket that does not listen is refused",
            "connect",
            pid,
        )
        .param("res", r(8))
        .param("fd", eq(f.u))
        .param("addr", eq(uep(&f.upath)))
        .param("tuple", absent()),
        syscall("listen on a bad fd fails", "listen", pid)
            .param("res", r(9))
            .param("fd", eq(-1))
            .param("backlog", eq(5)),
        syscall("accept on a bad fd fails", "accept", pid)
            .param("fd", r(10))
            .param("tuple", absent())
            .param("queuepct", eq(0))
            .param("queuelen", eq(0))
            .param("queuemax", eq(0)),
        syscall("accept4 on a bad fd fails", "accept4", pid)
            .param("fd", r(11))
            .param("tuple", absent())
            .param("queuepct", eq(0))
            .param("queuelen", eq(0))
            .param("queuemax", eq(0))
            .param("flags", eq(0)),
        syscall("getsockname of a bad fd fails", "getsockname", pid),
        syscall(
            "getpeername of an unconnected socket fails",
            "getpeername",
            pid,
        ),
        syscall("setsockopt from a bad pointer fails", "setsockopt", pid)
            .param("res", r(14))
            .param("fd", eq(f.b))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_RCVBUF"])
            // The value could not be read: libs reports a zero of the option's type.
            .param(
                "val",
                eq(sockopt_val(SOCKOPT_IDX_UINT32, &0u32.to_le_bytes())),
            )
            .param("optlen", eq(4)),
        syscall("getsockopt of a bad fd fails", "getsockopt", pid)
            .param("res", r(15))
            .param("fd", eq(-1))
            .flags("level", &["SOL_SOCKET"])
            .flags("optname", &["SO_RCVBUF"])
            .param(
                "val",
                eq(sockopt_val(SOCKOPT_IDX_UINT32, &7u32.to_le_bytes())),
            )
            .param("optlen", eq(4)),
        syscall("sendto a bad fd fails", "sendto", pid)
            .param("res", r(16))
            .param("fd", eq(-1))
            .param("size", eq(HELLO.len()))
            .param("data", eq(HELLO.to_vec()))
            .param("tuple", absent()),
        syscall("recvfrom a bad fd fails", "recvfrom", pid)
            .param("res", r(17))
            .param("fd", eq(-1))
            .param("size", eq(16))
            .param("data", absent())
            .param("tuple", absent()),
        syscall("sendmsg on a bad fd fails", "sendmsg", pid)
            .param("res", r(18))
            .param("fd", eq(-1))
            .param("size", eq(0))
            .param("data", absent())
            .param("tuple", absent()),
        syscall("recvmsg on a bad fd fails", "recvmsg", pid)
            .param("res", r(19))
            .param("fd", eq(-1))
            .param("size", eq(0))
            .param("data", absent())
            .param("tuple", absent())
            .param("msgcontrol", absent()),
        syscall("sendmmsg on a bad fd fails", "sendmmsg", pid)
            .param("res", r(20))
            .param("fd", eq(-1))
            .param("size", eq(0))
            .param("data", absent())
            .param("tuple", absent()),
        syscall("recvmmsg on a bad fd fails", "recvmmsg", pid)
            .param("res", r(21))
            .param("fd", eq(-1))
            .param("size", eq(0))
            .param("data", absent())
            .param("tuple", absent())
            .param("msgcontrol", absent()),
        syscall("shutdown of a bad fd fails", "shutdown", pid)
            .param("res", r(22))
            .param("fd", eq(-1))
            .flags("how", &["SHUT_RDWR"]),
        syscall("shutdown of an unconnected socket fails", "shutdown", pid)
            .param("res", r(23))
            .param("fd", eq(f.b))
            .flags("how", &["SHUT_RD"]),
    ])])
}

/// The scenarios of this module.
pub const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "net_ipv4",
        area: Area::Network,
        description:
            "IPv4 loopback: TCP socket/setsockopt/bind/getsockname/listen/connect/accept4/\
                      getpeername/getsockopt/sendto/recvfrom/sendmsg/recvmsg/shutdown, UDP \
                      sendto/recvfrom/sendmmsg/recvmmsg, tuples and fd state by value",
        steps: &Typed {
            act: ipv4_act,
            expect: inet_expect,
        },
    },
    Scenario {
        name: "net_ipv6",
        area: Area::Network,
        description: "IPv6 (::1): the IPv4 scenario's TCP and UDP calls, tuples and fd state",
        steps: &Typed {
            act: ipv6_act,
            expect: inet_expect,
        },
    },
    Scenario {
        name: "net_unix",
        area: Area::Network,
        description: "AF_UNIX: socketpair, a named stream socket (bind/listen/connect/accept/\
                      getsockname/getpeername/sendto/recvfrom/sendmsg/recvmsg/shutdown) and a \
                      named datagram socket, addresses, tuples and fd state by value",
        steps: &Typed {
            act: unix_act,
            expect: unix_expect,
        },
    },
    Scenario {
        name: "net_failures",
        area: Area::Network,
        description: "every socket call refused: EBADF, EINVAL, EOPNOTSUPP, EFAULT, ECONNREFUSED, \
                      ENOENT, ENOTCONN",
        steps: &Typed {
            act: fail_act,
            expect: fail_expect,
        },
    },
];
