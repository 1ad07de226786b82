//! A small HTTP/1.1 client over plain sockets, written by hand so that the load tools measure the
//! server rather than a client library, and so that a test sees exactly what the server sent.
//!
//! One exchange per connection (`Connection: close`, the answer read to its end), asynchronous
//! ([`exchange`]) or blocking ([`exchange_blocking`], for tests that drive the server from
//! threads), or a kept-alive [`Connection`] for the benchmark. The session cookie is kept as the
//! server set it (a session id, or a visitor's signed-token nonce): its value is opaque here.

use std::io;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The name of the application's session cookie.
pub const SESSION_COOKIE: &str = "spaser_session";

/// How long an exchange may take before it counts as unanswered.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A request: method, path, the session cookie to send, a body with its content type.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub cookie: Option<&'a str>,
    /// Content type and bytes.
    pub body: Option<(&'a str, &'a [u8])>,
    /// Leaves the connection open after the answer (for a [`Connection`]).
    pub keep_alive: bool,
}

impl<'a> Request<'a> {
    pub fn get(path: &'a str) -> Self {
        Self {
            method: "GET",
            path,
            cookie: None,
            body: None,
            keep_alive: false,
        }
    }

    /// A POST of a url-encoded form.
    pub fn post_form(path: &'a str, form: &'a str) -> Self {
        Self::post(path, "application/x-www-form-urlencoded", form.as_bytes())
    }

    /// A POST of a body of this content type.
    pub fn post(path: &'a str, content_type: &'a str, body: &'a [u8]) -> Self {
        Self {
            method: "POST",
            body: Some((content_type, body)),
            ..Self::get(path)
        }
    }

    /// The same request with this session cookie (or none).
    pub fn cookie(self, cookie: Option<&'a str>) -> Self {
        Self { cookie, ..self }
    }

    /// The same request, the connection left open after it.
    pub fn keep_alive(self) -> Self {
        Self {
            keep_alive: true,
            ..self
        }
    }

    /// The request as sent to `host`.
    pub fn to_bytes(&self, host: &str) -> Vec<u8> {
        let mut head = format!("{} {} HTTP/1.1\r\nHost: {host}\r\n", self.method, self.path);
        if !self.keep_alive {
            head.push_str("Connection: close\r\n");
        }
        if let Some(cookie) = self.cookie {
            head.push_str(&format!("Cookie: {SESSION_COOKIE}={cookie}\r\n"));
        }
        if let Some((content_type, body)) = self.body {
            head.push_str(&format!(
                "Content-Type: {content_type}\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if let Some((_, body)) = self.body {
            bytes.extend_from_slice(body);
        }
        bytes
    }
}

/// A response: its status, its head (status line and headers) and its body, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Response {
    /// Reads a whole response (its body as sent: the server's pages have a `Content-Length`).
    pub fn parse(bytes: &[u8]) -> io::Result<Self> {
        let text = String::from_utf8_lossy(bytes);
        let status = text
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other("no status line"))?;
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        Ok(Self {
            status,
            head: head.to_string(),
            body: body.to_string(),
        })
    }

    /// The values of a header, whatever the case of its name.
    pub fn headers<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.head.lines().skip(1).filter_map(move |line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then_some(value.trim())
        })
    }

    /// The session cookie the response sets, if it sets one.
    pub fn session_cookie(&self) -> Option<String> {
        self.headers("set-cookie").find_map(|value| {
            let (name, rest) = value.split_once('=')?;
            (name.trim() == SESSION_COOKIE)
                .then(|| rest.split(';').next().unwrap_or_default().to_string())
        })
    }
}

/// One exchange on a connection of its own, within `timeout`.
pub async fn exchange(
    address: &str,
    request: &Request<'_>,
    timeout: Duration,
) -> io::Result<Response> {
    let work = async {
        let mut stream = tokio::net::TcpStream::connect(address).await?;
        stream.write_all(&request.to_bytes(address)).await?;
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await?;
        Response::parse(&response)
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(no_answer(timeout)))
}

/// One exchange on a connection of its own, blocking; the answer must begin within `timeout`
/// (and no pause in it last longer).
pub fn exchange_blocking(
    address: &str,
    request: &Request<'_>,
    timeout: Duration,
) -> io::Result<Response> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.write_all(&request.to_bytes(address))?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    Response::parse(&response)
}

fn no_answer(timeout: Duration) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("no answer within {} s", timeout.as_secs_f64()),
    )
}

/// A kept-alive connection: requests one after another, each response read by its
/// `Content-Length` and counted, not kept (the benchmark reads pages of megabytes).
pub struct Connection {
    stream: tokio::net::TcpStream,
    buffer: Vec<u8>,
}

impl Connection {
    pub async fn open(address: &str) -> io::Result<Self> {
        Ok(Self {
            stream: tokio::net::TcpStream::connect(address).await?,
            buffer: vec![0; 1 << 16],
        })
    }

    /// Sends a request (as [`Request::to_bytes`] writes it, with `keep_alive`) and reads its
    /// response: its status and the length of its body as sent (by its `Content-Length`, or to
    /// the last chunk of a chunked body, which the server's compressed pages are).
    pub async fn round_trip(&mut self, request: &[u8]) -> io::Result<(u16, usize)> {
        const LAST_CHUNK: &[u8] = b"0\r\n\r\n";
        self.stream.write_all(request).await?;
        let mut head = Vec::new();
        let (status, length, chunked, mut have) = loop {
            let n = self.read().await?;
            head.extend_from_slice(&self.buffer[..n]);
            if let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                let text = String::from_utf8_lossy(&head[..end]).to_lowercase();
                let status: u16 = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
                let length: usize = text
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                let chunked = text.lines().any(|l| {
                    l.strip_prefix("transfer-encoding:")
                        .is_some_and(|v| v.trim() == "chunked")
                });
                head.drain(..end + 4);
                break (status, length, chunked, head.len());
            }
        };
        if chunked {
            // The body's last bytes so far, enough to recognise the last chunk (no trailers).
            let mut tail = head.split_off(head.len().saturating_sub(LAST_CHUNK.len()));
            while !tail.ends_with(LAST_CHUNK) {
                let n = self.read().await?;
                have += n;
                tail.extend_from_slice(&self.buffer[..n]);
                tail.drain(..tail.len().saturating_sub(LAST_CHUNK.len()));
            }
            return Ok((status, have));
        }
        while have < length {
            have += self.read().await?;
        }
        Ok((status, length))
    }

    /// Reads what has come; the server closing the connection is an error.
    async fn read(&mut self) -> io::Result<usize> {
        match self.stream.read(&mut self.buffer).await? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            n => Ok(n),
        }
    }
}

/// The value of the form field `name` in a page (`<input … name="{name}" … value="…">`, its
/// attributes in any order), as written in the HTML: tokens and versions need no unescaping.
pub fn form_value<'a>(page: &'a str, name: &str) -> Option<&'a str> {
    let wanted = format!("name=\"{name}\"");
    page.match_indices("<input").find_map(|(start, _)| {
        let tag = &page[start..start + page[start..].find('>')?];
        if !tag.contains(&wanted) {
            return None;
        }
        let value = &tag[tag.find(" value=\"")? + " value=\"".len()..];
        Some(&value[..value.find('"')?])
    })
}

/// The CSRF token a page's forms carry.
pub fn csrf_token(page: &str) -> Option<&str> {
    form_value(page, "_csrf")
}

/// Signs in through the sign-in form, as a browser does: the page (which gives the visitor a
/// cookie and a token), then the form. Returns the signed-in session's cookie.
pub async fn sign_in(address: &str, email: &str, password: &str) -> io::Result<String> {
    let page = exchange(address, &Request::get("/connexion"), TIMEOUT).await?;
    let (visitor, form) = sign_in_form(&page, email, password)?;
    let post = Request::post_form("/connexion", &form).cookie(Some(&visitor));
    signed_in(&exchange(address, &post, TIMEOUT).await?, email)
}

/// [`sign_in`], blocking.
pub fn sign_in_blocking(address: &str, email: &str, password: &str) -> io::Result<String> {
    let page = exchange_blocking(address, &Request::get("/connexion"), TIMEOUT)?;
    let (visitor, form) = sign_in_form(&page, email, password)?;
    let post = Request::post_form("/connexion", &form).cookie(Some(&visitor));
    signed_in(&exchange_blocking(address, &post, TIMEOUT)?, email)
}

/// From the sign-in page: the visitor's cookie and the form to send.
fn sign_in_form(page: &Response, email: &str, password: &str) -> io::Result<(String, String)> {
    let visitor = page
        .session_cookie()
        .ok_or_else(|| io::Error::other("the sign-in page sets no cookie"))?;
    let token = csrf_token(&page.body)
        .ok_or_else(|| io::Error::other("the sign-in page has no CSRF token"))?;
    let form = form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", token)
        .append_pair("email", email)
        .append_pair("password", password)
        .finish();
    Ok((visitor, form))
}

/// The session cookie of a successful sign-in (a 303 that sets a new cookie).
fn signed_in(answer: &Response, email: &str) -> io::Result<String> {
    if answer.status != 303 {
        return Err(io::Error::other(format!(
            "sign-in of {email} answered {}, not 303",
            answer.status
        )));
    }
    answer
        .session_cookie()
        .ok_or_else(|| io::Error::other(format!("no session cookie at the sign-in of {email}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_reads_bodies_by_their_length_or_to_their_last_chunk() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut buffer = [0; 1024];
            // A chunked body, sent in pieces (its last chunk cut in two), then a counted one.
            let _ = stream.read(&mut buffer).await.unwrap();
            for piece in [
                &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel"[..],
                b"lo\r\n6\r\n world\r\n0\r\n",
                b"\r\n",
            ] {
                stream.write_all(piece).await.unwrap();
                stream.flush().await.unwrap();
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = stream.read(&mut buffer).await.unwrap();
            stream
                .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnon")
                .await
                .unwrap();
        });
        let mut connection = Connection::open(&address).await.unwrap();
        let get = Request::get("/").keep_alive().to_bytes(&address);
        // The chunked body as sent: two chunks of 5 and 6 bytes, their sizes and the last chunk.
        assert_eq!(connection.round_trip(&get).await.unwrap(), (200, 26));
        assert_eq!(connection.round_trip(&get).await.unwrap(), (404, 3));
    }

    #[test]
    fn requests_are_written_as_http_1_1() {
        let get = Request::get("/plan?annee=2025").cookie(Some("v0123"));
        assert_eq!(
            String::from_utf8(get.to_bytes("127.0.0.1:3000")).unwrap(),
            "GET /plan?annee=2025 HTTP/1.1\r\nHost: 127.0.0.1:3000\r\nConnection: close\r\nCookie: spaser_session=v0123\r\n\r\n"
        );
        let post = Request::post_form("/connexion", "a=1&b=%C3%A9").keep_alive();
        assert_eq!(
            String::from_utf8(post.to_bytes("h")).unwrap(),
            "POST /connexion HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 12\r\n\r\na=1&b=%C3%A9"
        );
    }

    #[test]
    fn responses_give_their_status_headers_and_session_cookie() {
        let raw = b"HTTP/1.1 303 See Other\r\nlocation: /\r\nSet-Cookie: autre=1; Path=/\r\nset-cookie: spaser_session=v00ff=; Path=/; HttpOnly\r\ncontent-length: 2\r\n\r\nok";
        let r = Response::parse(raw).unwrap();
        assert_eq!((r.status, r.body.as_str()), (303, "ok"));
        assert_eq!(r.headers("Location").collect::<Vec<_>>(), ["/"]);
        assert_eq!(r.session_cookie().as_deref(), Some("v00ff="));
        assert!(Response::parse(b"HTTP/1.1").is_err());
        let other = Response::parse(b"HTTP/1.1 200 OK\r\nset-cookie: autre=1\r\n\r\n").unwrap();
        assert_eq!(other.session_cookie(), None);
    }

    #[test]
    fn form_values_are_found_whatever_the_order_of_attributes() {
        let page = r#"<form><input type="hidden" name="_csrf" value="abc123">
            <input value="7" name="ver-12" type="hidden"><input name="rver-1" value="9">
            <input name="ver-1" value="3"></form>"#;
        assert_eq!(csrf_token(page), Some("abc123"));
        assert_eq!(form_value(page, "ver-12"), Some("7"));
        assert_eq!(form_value(page, "ver-1"), Some("3"));
        assert_eq!(form_value(page, "ver-2"), None);
    }
}
