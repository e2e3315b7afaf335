//! Tests of the media fetcher against a tiny HTTP server on 127.0.0.1.

use super::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn fetcher(allow_private: bool, max_bytes: u64) -> MediaFetcher {
    MediaFetcher::new(MediaPolicy {
        max_bytes,
        timeout: Duration::from_secs(2),
        allow_private,
    })
}

/// Serves canned answers by request path until the test ends:
/// `/ok`, `/big`, `/stream`, `/slow`, `/missing`, `/down`, `/hop/<n>`.
async fn serve() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(answer(stream, port));
        }
    });
    port
}

async fn answer(mut stream: TcpStream, port: u16) {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let reply = match path.as_str() {
        "/ok" => "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 5\r\n\r\nhello".to_owned(),
        "/big" => "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n".to_owned() + &"x".repeat(5000),
        "/stream" => {
            let chunk = format!("{:x}\r\n{}\r\n", 400, "y".repeat(400));
            format!(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
                chunk.repeat(5)
            )
        }
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            return;
        }
        "/missing" => "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n".to_owned(),
        "/down" => "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n".to_owned(),
        hop => {
            let n: u32 = hop
                .strip_prefix("/hop/")
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let next = if n == 0 {
                "/ok".to_owned()
            } else {
                format!("/hop/{}", n - 1)
            };
            format!(
                "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:{port}{next}\r\nContent-Length: 0\r\n\r\n"
            )
        }
    };
    let _ = stream.write_all(reply.as_bytes()).await;
    let _ = stream.shutdown().await;
}

#[tokio::test]
async fn refuses_loopback_literals_when_private_is_not_allowed() {
    let strict = fetcher(false, 1000);
    for url in [
        "http://127.0.0.1/x.png",
        "http://[::1]:8080/a",
        "http://[::ffff:10.0.0.1]/",
        "http://2130706433/",
    ] {
        let err = strict.fetch(url).await.unwrap_err();
        assert!(matches!(err, MediaError::RefusedAddress { .. }), "{url}: {err}");
        assert!(err.is_permanent());
    }
}

#[tokio::test]
async fn refuses_names_that_resolve_to_loopback() {
    let port = serve().await;
    let err = fetcher(false, 1000)
        .fetch(&format!("http://localhost:{port}/ok"))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::RefusedAddress { .. }), "{err}");
    assert!(err.to_string().contains("private or local address"));
}

#[tokio::test]
async fn refuses_urls_that_are_not_http() {
    let f = fetcher(true, 1000);
    for url in [
        "ftp://example.com/a",
        "file:///etc/passwd",
        "not a url",
        "",
        "http://",
    ] {
        let err = f.fetch(url).await.unwrap_err();
        assert!(matches!(err, MediaError::BadUrl(_)), "{url:?}: {err}");
        assert!(err.is_permanent());
    }
}

#[tokio::test]
async fn fetches_a_body_with_its_mime_type() {
    let port = serve().await;
    let media = fetcher(true, 1000)
        .fetch(&format!("http://127.0.0.1:{port}/ok"))
        .await
        .unwrap();
    assert_eq!(&media.bytes[..], b"hello");
    assert_eq!(media.mime_type.as_deref(), Some("image/png"));
}

#[tokio::test]
async fn refuses_bodies_over_the_limit() {
    let port = serve().await;
    let f = fetcher(true, 1000);
    let announced = f
        .fetch(&format!("http://127.0.0.1:{port}/big"))
        .await
        .unwrap_err();
    assert!(
        matches!(announced, MediaError::TooLarge { limit: 1000 }),
        "{announced}"
    );
    let streamed = f
        .fetch(&format!("http://127.0.0.1:{port}/stream"))
        .await
        .unwrap_err();
    assert!(
        matches!(streamed, MediaError::TooLarge { limit: 1000 }),
        "{streamed}"
    );
    assert!(streamed.is_permanent());
    let enough = fetcher(true, 2000)
        .fetch(&format!("http://127.0.0.1:{port}/stream"))
        .await
        .unwrap();
    assert_eq!(enough.bytes.len(), 2000);
}

#[tokio::test]
async fn gives_up_on_a_server_that_does_not_answer() {
    let port = serve().await;
    let f = MediaFetcher::new(MediaPolicy {
        max_bytes: 1000,
        timeout: Duration::from_millis(300),
        allow_private: true,
    });
    let started = std::time::Instant::now();
    let err = f
        .fetch(&format!("http://127.0.0.1:{port}/slow"))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::Timeout(_)), "{err}");
    assert!(!err.is_permanent());
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn follows_up_to_three_redirects() {
    let port = serve().await;
    let f = fetcher(true, 1000);
    let media = f.fetch(&format!("http://127.0.0.1:{port}/hop/2")).await.unwrap();
    assert_eq!(&media.bytes[..], b"hello");
    let err = f
        .fetch(&format!("http://127.0.0.1:{port}/hop/3"))
        .await
        .unwrap_err();
    assert!(matches!(err, MediaError::TooManyRedirects), "{err}");
}

#[tokio::test]
async fn classifies_http_errors_and_refused_connections() {
    let port = serve().await;
    let f = fetcher(true, 1000);
    let missing = f
        .fetch(&format!("http://127.0.0.1:{port}/missing"))
        .await
        .unwrap_err();
    assert!(matches!(missing, MediaError::Status(404)) && missing.is_permanent());
    let down = f
        .fetch(&format!("http://127.0.0.1:{port}/down"))
        .await
        .unwrap_err();
    assert!(matches!(down, MediaError::Status(503)) && !down.is_permanent());
    let closed = f.fetch("http://127.0.0.1:1/x").await.unwrap_err();
    assert!(
        matches!(closed, MediaError::Connection(_)) && !closed.is_permanent(),
        "{closed}"
    );
    assert!(!MediaError::Status(429).is_permanent());
}

#[tokio::test]
async fn a_failed_fetch_shows_the_host_and_path_but_no_query() {
    let f = fetcher(true, 1000);
    let presigned = "http://user:pw@127.0.0.1:1/bucket/a.jpg?X-Amz-Signature=s3cret#part";
    let closed = f.fetch(presigned).await.unwrap_err().to_string();
    assert!(closed.contains("127.0.0.1:1/bucket/a.jpg"), "{closed}");
    for hidden in ["s3cret", "pw@", "#part"] {
        assert!(!closed.contains(hidden), "{hidden} in {closed}");
    }
    let garbled = f
        .fetch("http://[::1/a.jpg?X-Amz-Signature=s3cret")
        .await
        .unwrap_err();
    assert!(!garbled.to_string().contains("s3cret"), "{garbled}");
}
