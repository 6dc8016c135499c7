//! A lesson's ```` ```steps ```` block: the steps as text, and a button that runs them on the
//! lesson's lab (each command, then the ticks), the same way `lab scenario run` does natively.

use crate::store::LabAction;
use lab::state::Command;
use lab::steps::Step;
use std::rc::Rc;
use yew::prelude::*;

#[derive(Properties, PartialEq)]
pub struct StepsProps {
    pub text: AttrValue,
    pub steps: Rc<Vec<Step>>,
}

#[component]
pub fn StepsBlock(props: &StepsProps) -> Html {
    let session = super::use_lab();
    let on_run = {
        let (session, steps) = (session.clone(), props.steps.clone());
        Callback::from(move |_: MouseEvent| {
            session.dispatch(LabAction::Pause);
            for step in steps.iter() {
                match step {
                    Step::Ticks(n) => {
                        session.dispatch(LabAction::Forward(u32::try_from(*n).unwrap_or(u32::MAX)))
                    }
                    Step::Broker(command) => {
                        session.dispatch(LabAction::Command(Command::Broker(command.clone())))
                    }
                }
            }
        })
    };
    html! {
        <figure class="widget steps-block">
            <figcaption>{ "Steps you can run" }</figcaption>
            <pre><code>{ props.text.clone() }</code></pre>
            <button class="run-steps" onclick={on_run}>{ format!("▶ Run these {} steps", props.steps.len()) }</button>
        </figure>
    }
}
