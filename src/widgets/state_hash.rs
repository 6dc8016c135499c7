//! The state's fingerprint, and a button that replays the journal from tick 0 to show that the
//! replayed state is bit-for-bit the one on screen.

use yew::prelude::*;

/// While playing, the hash is taken every this many changes.
const HASH_REFRESH_EVERY_WHILE_PLAYING: u64 = 10;

#[component]
pub fn StateHash() -> Html {
    let session = super::use_lab();
    // (cursor tick, revision, replayed hash) of the last verification.
    let verified = use_state(|| None::<(u64, u64, Option<u64>)>);
    // Hashing walks the whole state (every record of every topic): once per change while
    // paused, every few changes while playing (it would cost more than the rest of a frame).
    // The tick and revision it was taken at go with it.
    let (hashed_tick, hashed_revision, live) =
        *use_memo(session.refresh_key(HASH_REFRESH_EVERY_WHILE_PLAYING), {
            let (view, tick, revision) = (session.view.clone(), session.cursor.0, session.revision);
            move |_| (tick, revision, view.state_hash())
        });
    let on_verify = {
        let (session, verified) = (session.clone(), verified.clone());
        Callback::from(move |_: MouseEvent| {
            verified.set(Some((
                session.cursor.0,
                session.revision,
                session.replayed_hash(),
            )))
        })
    };
    let result = verified.as_ref().filter(|(_, revision, _)| *revision == session.revision && hashed_revision == session.revision).map(|(tick, _, replayed)| {
        match replayed {
            Some(hash) if *hash == live => html! {
                <p class="ok" role="status">{ format!("✓ Replaying the journal from tick 0 to tick {tick} gives {hash:016x}: identical.") }</p>
            },
            Some(hash) => html! {
                <p class="bad" role="alert">{ format!("✗ Replay gave {hash:016x}, which differs. This is a bug: please copy a share link and report it.") }</p>
            },
            None => html! { <p class="bad" role="alert">{ "✗ The journal did not replay. This is a bug." }</p> },
        }
    });
    html! {
        <div class="state-hash">
            <p>{ format!("State at tick {hashed_tick}: ") }<code class="hash">{ format!("{live:016x}") }</code></p>
            <button onclick={on_verify}>{ "Replay from tick 0 and compare" }</button>
            { result.unwrap_or_default() }
        </div>
    }
}
