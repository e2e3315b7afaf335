//! The server's IQ answers, built in one place: a `result` with its
//! children (none for the empty answer any unhandled IQ gets), an `error`
//! (wacore `request.rs`, the IQ response parser: `<iq type="error"><error
//! code text/>` becomes `IqError::ServerError`), and a usync
//! result listing users (wacore `iq/usync/query.rs` `parse_usync_response`:
//! `<usync sid?><list><user ..>..`).

use crate::connection::SERVER;
use wacore_binary::builder::NodeBuilder;
use wacore_binary::Node;

/// `<iq type="result" id>` with `children`.
pub fn result(id: &str, children: impl IntoIterator<Item = Node>) -> Node {
    NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "result")
        .attr("id", id)
        .children(children)
        .build()
}

/// `<iq type="error" id><error code text/>`.
pub fn error(id: &str, code: u16, text: &str) -> Node {
    NodeBuilder::new("iq")
        .attr("from", SERVER)
        .attr("type", "error")
        .attr("id", id)
        .children([NodeBuilder::new("error")
            .attr("code", code.to_string())
            .attr("text", text)
            .build()])
        .build()
}

/// A usync answer: the query's `sid` echoed, `users` in its list.
pub fn usync_result(id: &str, sid: Option<String>, users: impl IntoIterator<Item = Node>) -> Node {
    let mut usync = NodeBuilder::new("usync");
    if let Some(sid) = sid {
        usync = usync.attr("sid", sid);
    }
    let usync = usync
        .children([NodeBuilder::new("list").children(users).build()])
        .build();
    result(id, [usync])
}

/// WHATSAPP.md, login (2): app-state collections are refused with 404 (a
/// fatal per-collection error to wacore-appstate `patch_decode`), or a
/// 180 s watchdog runs.
pub fn no_app_state(id: &str, request: &Node) -> Node {
    let collections = request
        .get_optional_child("sync")
        .map(|sync| {
            sync.get_children_by_tag("collection")
                .filter_map(|c| c.attrs.get("name").map(|n| n.to_string()))
                .map(|name| {
                    NodeBuilder::new("collection")
                        .attr("name", name)
                        .attr("type", "error")
                        .children([NodeBuilder::new("error")
                            .attr("code", "404")
                            .attr("text", "not found")
                            .build()])
                        .build()
                })
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    result(id, [NodeBuilder::new("sync").children(collections).build()])
}
