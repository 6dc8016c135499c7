//! Create topics (with a replication factor and min.insync.replicas), edit a topic's segment,
//! retention, cleanup and compaction settings, and alter its replication settings
//! (min.insync.replicas, unclean.leader.election.enable) as `kafka-configs --alter` does. Times
//! are typed in ticks; beside each, the same time in Kafka's milliseconds and in words.

use super::{parse_number, parse_optional_number, send, with_cluster};
use crate::widgets::fields::{check_field, choice_field, number_field, text_field, topic_field};
use crate::widgets::form::bind;
use lab::broker::cluster::BrokerCommand;
use lab::broker::cluster::BROKERS_MAX;
use lab::broker::compression::Codec;
use lab::broker::log::{ticks_to_ms, LogConfig, RETENTION_TICKS_DEFAULT};
use lab::broker::topic::{TimestampType, TopicSettings, TOPIC_PARTITIONS_MAX};
use lab::sim::text::group_thousands;
use yew::prelude::*;

/// Milliseconds in the largest unit that fits, to one decimal: "10 min", "1.5 h", "7 days".
pub fn duration_words(ms: u64) -> String {
    const UNITS: [(u64, &str); 5] = [
        (86_400_000, "days"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1_000, "s"),
        (1, "ms"),
    ];
    let (size, unit) = UNITS
        .into_iter()
        .find(|(size, _)| ms >= *size)
        .unwrap_or((1, "ms"));
    let tenths = (ms * 10 + size / 2) / size;
    if tenths % 10 == 0 {
        format!("{} {unit}", tenths / 10)
    } else {
        format!("{}.{} {unit}", tenths / 10, tenths % 10)
    }
}

/// What a time typed in ticks means: "= 600,000 ms (10 min)", "forever" when empty (if
/// `empty_is_forever`), nothing when it is not a number yet.
pub fn ticks_hint(text: &str, empty_is_forever: bool) -> String {
    match text.trim().parse::<u64>() {
        Ok(ticks) => {
            let ms = ticks_to_ms(ticks);
            format!("= {} ms ({})", group_thousands(ms), duration_words(ms))
        }
        Err(_) if text.trim().is_empty() && empty_is_forever => {
            "forever (retention.ms = -1)".to_string()
        }
        Err(_) => String::new(),
    }
}

/// A number field for a time in ticks, with its meaning in ms and words under it.
fn ticks_field(
    label: &str,
    class: &'static str,
    state: &UseStateHandle<String>,
    empty_is_forever: bool,
    title: String,
) -> Html {
    html! {
        <label>{ format!("{label} ") }
            <input class={classes!("num-input", class)} type="number" min="1" placeholder={empty_is_forever.then_some("forever")}
                title={title} value={(**state).clone()} oninput={bind(state)} />
            <span class="retention-hint" aria-live="polite">{ ticks_hint(state, empty_is_forever) }</span>
        </label>
    }
}

#[derive(Properties, PartialEq)]
struct EditorProps {
    topic: AttrValue,
    settings: TopicSettings,
}

#[component]
fn SettingsEditor(props: &EditorProps) -> Html {
    let session = crate::widgets::use_lab();
    let l = props.settings.log;
    let segment = use_state(|| l.segment_bytes.to_string());
    let retention = use_state(|| l.retention_ticks.map(|t| t.to_string()).unwrap_or_default());
    let retention_bytes =
        use_state(|| l.retention_bytes.map(|b| b.to_string()).unwrap_or_default());
    let policy = use_state(|| match (l.cleanup_delete, l.cleanup_compact) {
        (true, true) => "compact,delete".to_string(),
        (false, true) => "compact".to_string(),
        _ => "delete".to_string(),
    });
    let delete_retention = use_state(|| l.delete_retention_ticks.to_string());
    let ratio = use_state(|| {
        format!(
            "{:.2}",
            f64::from(l.min_cleanable_dirty_ratio_permille) / 1000.0
        )
    });
    let log_append = use_state(|| props.settings.timestamp_type == TimestampType::LogAppendTime);
    let compression = use_state(|| {
        props
            .settings
            .compression
            .map_or("producer", |c| c.name())
            .to_string()
    });
    let error = use_state(|| None::<String>);
    let on_apply = {
        let (session, error, topic) = (session.clone(), error.clone(), props.topic.to_string());
        let (segment, retention, retention_bytes, policy, delete_retention, ratio, log_append) = (
            segment.clone(),
            retention.clone(),
            retention_bytes.clone(),
            policy.clone(),
            delete_retention.clone(),
            ratio.clone(),
            log_append.clone(),
        );
        let compression = compression.clone();
        let current = props.settings;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let parsed = (|| -> Result<TopicSettings, String> {
                let ratio: f64 = ratio.trim().parse().map_err(|_| {
                    "min.cleanable.dirty.ratio must be a number from 0 to 1".to_string()
                })?;
                if !(0.0..=1.0).contains(&ratio) {
                    return Err("min.cleanable.dirty.ratio must be from 0 to 1".into());
                }
                Ok(TopicSettings {
                    log: LogConfig {
                        segment_bytes: parse_number(&segment, "segment.bytes", 100, 1 << 30)?,
                        retention_ticks: parse_optional_number(
                            &retention,
                            "retention (ticks)",
                            1,
                            1 << 40,
                        )?,
                        retention_bytes: parse_optional_number(
                            &retention_bytes,
                            "retention.bytes",
                            0,
                            1 << 40,
                        )?,
                        cleanup_delete: policy.contains("delete"),
                        cleanup_compact: policy.contains("compact"),
                        delete_retention_ticks: parse_number(
                            &delete_retention,
                            "delete.retention (ticks)",
                            0,
                            1 << 40,
                        )?,
                        min_cleanable_dirty_ratio_permille: (ratio * 1000.0).round() as u16,
                        ..l
                    },
                    compression: Codec::from_name(&compression),
                    timestamp_type: if *log_append {
                        TimestampType::LogAppendTime
                    } else {
                        TimestampType::CreateTime
                    },
                    ..current
                })
            })();
            match parsed {
                Ok(settings) => {
                    error.set(None);
                    send(
                        &session,
                        BrokerCommand::SetTopicSettings {
                            topic: topic.clone(),
                            settings,
                        },
                    );
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let codec_choices: Vec<(&str, &str)> = std::iter::once("producer")
        .chain(Codec::ALL.map(Codec::name))
        .map(|name| (name, name))
        .collect();
    html! {
        <form class="settings-form topic-settings" novalidate=true onsubmit={on_apply}>
            { number_field("segment.bytes ", "num-input segment-input", (None, None), None, &segment) }
            { ticks_field("retention (ticks)", "retention-input", &retention, true, format!(
                "retention.ms in ticks (one tick is {} ms). This lab's default is {} ticks, {}; Kafka's is 7 days, {} ticks, which no lab run would reach. Empty keeps records forever.",
                ticks_to_ms(1), group_thousands(RETENTION_TICKS_DEFAULT), duration_words(ticks_to_ms(RETENTION_TICKS_DEFAULT)), group_thousands(7 * 86_400_000 / ticks_to_ms(1)))) }
            <label>{ "retention.bytes " }<input class="num-input" type="number" placeholder="no limit" value={(*retention_bytes).clone()} oninput={bind(&retention_bytes)} /></label>
            { choice_field("cleanup.policy ", "policy-select", &policy, &["delete", "compact", "compact,delete"].map(|p| (p, p))) }
            { ticks_field("delete.retention (ticks)", "delete-retention-input", &delete_retention, false,
                "delete.retention.ms in ticks: how long a compacted topic keeps a tombstone".to_string()) }
            <label>{ "min.cleanable.dirty.ratio " }<input class="num-input" type="text" inputmode="decimal" value={(*ratio).clone()} oninput={bind(&ratio)} /></label>
            { check_field(" LogAppendTime", "", &log_append) }
            { choice_field("compression.type ", "topic-codec-select", &compression, &codec_choices) }
            <button type="submit" class="apply-topic">{ "Apply" }</button>
            <p class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
        </form>
    }
}

/// min.insync.replicas and unclean.leader.election.enable of one topic (AlterTopicConfig).
#[component]
fn ReplicationEditor(props: &EditorProps) -> Html {
    let session = crate::widgets::use_lab();
    let min_isr = use_state(|| props.settings.min_insync_replicas.to_string());
    let unclean = use_state(|| props.settings.unclean_leader_election);
    let error = use_state(|| None::<String>);
    let on_apply = {
        let (session, error, topic) = (session.clone(), error.clone(), props.topic.to_string());
        let (min_isr, unclean) = (min_isr.clone(), unclean.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            match parse_number(&min_isr, "min.insync.replicas", 1, u64::from(BROKERS_MAX)) {
                Ok(n) => {
                    error.set(None);
                    send(
                        &session,
                        BrokerCommand::AlterTopicConfig {
                            topic: topic.clone(),
                            min_insync_replicas: Some(n as u8),
                            unclean_leader_election: Some(*unclean),
                        },
                    );
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let s = props.settings;
    html! {
        <form class="settings-form replication-settings" novalidate=true onsubmit={on_apply}>
            <span class="small muted">{ format!("replication factor {} (fixed) · ", s.replication_factor) }</span>
            { number_field("min.insync.replicas ", "num-input min-isr-input", (Some("1"), Some(BROKERS_MAX.to_string().into())), None, &min_isr) }
            { check_field(" unclean.leader.election.enable", "unclean-input", &unclean) }
            <button type="submit" class="apply-replication">{ "Alter" }</button>
            <p class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
        </form>
    }
}

#[component]
pub fn TopicConfig() -> Html {
    let session = crate::widgets::use_lab();
    let selected = use_state(String::new);
    let name = use_state(String::new);
    let partitions = use_state(|| "3".to_string());
    let rf = use_state(|| "1".to_string());
    let new_min_isr = use_state(|| "1".to_string());
    let error = use_state(|| None::<String>);
    with_cluster(&session, |cluster| {
        let topic = if cluster.topics().contains_key(&*selected) {
            (*selected).clone()
        } else {
            cluster.topics().keys().next().cloned().unwrap_or_default()
        };
        let on_create = {
            let (session, error, name, partitions) = (
                session.clone(),
                error.clone(),
                name.clone(),
                partitions.clone(),
            );
            let (rf, new_min_isr) = (rf.clone(), new_min_isr.clone());
            Callback::from(move |e: SubmitEvent| {
                e.prevent_default();
                let parsed = (|| -> Result<(u32, u8, u8), String> {
                    let n = parse_number(
                        &partitions,
                        "partitions",
                        1,
                        u64::from(TOPIC_PARTITIONS_MAX),
                    )?;
                    let rf = parse_number(&rf, "replication factor", 1, u64::from(BROKERS_MAX))?;
                    let min_isr = parse_number(
                        &new_min_isr,
                        "min.insync.replicas",
                        1,
                        u64::from(BROKERS_MAX),
                    )?;
                    Ok((n as u32, rf as u8, min_isr as u8))
                })();
                match parsed {
                    Ok((n, rf, min_isr)) => {
                        error.set(None);
                        send(
                            &session,
                            BrokerCommand::CreateTopic {
                                name: name.trim().to_string(),
                                partitions: n,
                                settings: TopicSettings {
                                    replication_factor: rf,
                                    min_insync_replicas: min_isr,
                                    ..TopicSettings::default()
                                },
                            },
                        );
                    }
                    Err(why) => error.set(Some(why)),
                }
            })
        };
        // In a replicated lab the replication settings are what the lessons use; the log's own
        // settings and a new topic wait, folded, so the lab beside a lesson stays short.
        let replicated = cluster
            .topics()
            .values()
            .any(|t| t.settings().replication_factor > 1);
        html! {
            <div class="topic-config">
                { topic_field("config-topic-select", &selected, cluster.topics(), &topic) }
                if let Some(t) = cluster.topics().get(&topic) {
                    <ReplicationEditor key={format!("r-{topic}-{:?}", t.settings())} topic={AttrValue::from(topic.clone())} settings={*t.settings()} />
                    <details class="log-settings" open={!replicated}>
                        <summary>{ "Log settings: segments, retention, cleanup, compression" }</summary>
                        <SettingsEditor key={format!("{topic}-{:?}", t.settings())} topic={AttrValue::from(topic.clone())} settings={*t.settings()} />
                    </details>
                }
                <details class="new-topic" open={!replicated}>
                <summary>{ "New topic" }</summary>
                <form class="create-topic" novalidate=true onsubmit={on_create}>
                    <strong>{ "New topic " }</strong>
                    { text_field("name ", "topic-name-input", Some("payments"), &name) }
                    { number_field("partitions ", "num-input partitions-input", (Some("1"), Some("64".into())), None, &partitions) }
                    { number_field("replication factor ", "num-input rf-input", (Some("1"), Some(BROKERS_MAX.to_string().into())), None, &rf) }
                    { number_field("min.insync.replicas ", "num-input new-min-isr-input", (Some("1"), Some(BROKERS_MAX.to_string().into())), None, &new_min_isr) }
                    <button type="submit" class="create-topic-button">{ "Create topic" }</button>
                    <p class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
                </form>
                </details>
            </div>
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_in_ticks_are_shown_in_ms_and_words() {
        assert_eq!(ticks_hint("6000", true), "= 600,000 ms (10 min)");
        assert_eq!(ticks_hint("50", true), "= 5,000 ms (5 s)");
        assert_eq!(ticks_hint("6048000", true), "= 604,800,000 ms (7 days)");
        assert_eq!(ticks_hint("900", false), "= 90,000 ms (1.5 min)");
        assert_eq!(ticks_hint("", true), "forever (retention.ms = -1)");
        assert_eq!(ticks_hint("", false), "");
        assert_eq!(ticks_hint("x", true), "");
        assert_eq!(duration_words(0), "0 ms");
    }
}
