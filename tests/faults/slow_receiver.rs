//! A receiver that is slow to take a contact's first message: the next
//! messages of that chat wait for it, so the receiver gets them in order,
//! while another contact's message is not held up.

use crate::forward_claims::inbound_from;
use crate::receiver_down::{Mode, Receiver};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_chats_messages_reach_the_receiver_in_order_behind_a_slow_first_one() {
    let receiver = Receiver::start().await;
    receiver.set(Mode::Late);
    let dir = tempfile::tempdir().unwrap();
    let gateway = receiver.gateway(dir.path(), 5_000).await;
    gateway.api.link("order-1", "+15550000021").await;
    inbound_from(&gateway.api, "order-1", "+5511999999999", "ORDER", 1).await;
    receiver.wait_for_requests(1).await;
    receiver.set(Mode::Up);
    inbound_from(&gateway.api, "order-1", "+5511988887777", "OTHER", 1).await;
    inbound_from(&gateway.api, "order-1", "+5511999999999", "LATER", 4).await;
    receiver.assert_every_message_once(6).await;
    let arrivals = receiver.arrivals.lock().unwrap().clone();
    assert_eq!(
        arrivals[0], "OTHER0000",
        "another chat is not held up: {arrivals:?}"
    );
    assert_eq!(
        arrivals[1..],
        ["ORDER0000", "LATER0000", "LATER0001", "LATER0002", "LATER0003"],
        "one chat's messages arrive in order"
    );
    gateway.stop().await;
}
