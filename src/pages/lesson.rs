//! A lesson: prose, live widgets and goals over one lab session seeded from the front matter.
//! The prose, steps and goals read on the left and the lesson's widgets stay beside them on the
//! right (see [`crate::widgets::lesson_layout`]), so the lab is in view while a step is read.

use crate::lessons::catalog;
use crate::markdown;
use crate::pages::not_found::NotFound;
use crate::pages::use_share_param;
use crate::progress::ProgressHandle;
use crate::route::Route;
use crate::widgets::lesson_layout::LessonLayout;
use crate::widgets::sql_lesson::{SqlExampleBlock, SqlGoal, SqlLessonProvider};
use crate::widgets::{self, goal::Goal, lab_provider::LabProvider, steps::StepsBlock};
use lab::lesson::{Block, WidgetKind};
use std::rc::Rc;
use yew::prelude::*;
use yew_router::prelude::*;

#[derive(Properties, PartialEq)]
pub struct LessonPageProps {
    pub id: AttrValue,
}

#[component]
pub fn LessonPage(props: &LessonPageProps) -> Html {
    let share = use_share_param();
    let progress = use_context::<ProgressHandle>().expect("the app provides progress");
    let catalog = catalog();
    let Some(lesson) = catalog.find(&props.id) else {
        return html! { <NotFound what={AttrValue::from(format!("There is no lesson called \"{}\".", props.id))} /> };
    };
    let goals = lesson.goal_count();
    let done = progress.progress.done_count(&lesson.meta.id).min(goals);
    let lesson_id = AttrValue::from(lesson.meta.id.clone());
    let next = catalog.next_after(&lesson.meta.id);
    let key = format!("{}|{}", lesson.meta.id, share.clone().unwrap_or_default());
    // The SQL editor starts with the sql widget's query; wrong answers show their diff on the
    // first SQL goal not done yet.
    let query = lesson
        .widgets()
        .find(|w| w.kind == WidgetKind::Sql)
        .and_then(|w| w.query.clone())
        .unwrap_or_default();
    let current_sql_goal = lesson
        .sql_checks()
        .find(|c| !progress.progress.is_done(&lesson.meta.id, &c.id))
        .map(|c| c.id.clone());
    let has_lab = lesson.widgets().next().is_some();
    let text = html! {
        <>
            { for lesson.blocks.iter().filter(|b| !matches!(b, Block::Widget(_))).map(|block| match block {
                Block::Markdown(text) => html! { <div class="prose">{ markdown::render(text) }</div> },
                Block::Widget(_) => html! {},
                Block::Check(check) => html! { <Goal lesson={lesson_id.clone()} check={Rc::new(check.clone())} /> },
                Block::SqlCheck(check) => html! {
                    <SqlGoal lesson={lesson_id.clone()} check={Rc::new(check.clone())}
                        current={current_sql_goal.as_deref() == Some(check.id.as_str())} />
                },
                Block::SqlExample(sql) => html! { <SqlExampleBlock sql={AttrValue::from(sql.clone())} /> },
                Block::Steps { text, .. } => html! { <StepsBlock text={AttrValue::from(text.clone())} /> },
                Block::Predict(predict) => html! { <widgets::predict::Predict lesson={lesson_id.clone()} predict={Rc::new(predict.clone())} /> },
            }) }
            <nav class="lesson-next" aria-label="Next">
                if let Some(next) = next {
                    <Link<Route> to={Route::Lesson { id: next.meta.id.clone() }} classes="button primary">
                        { format!("Next: {} →", next.meta.title) }
                    </Link<Route>>
                } else {
                    <Link<Route> to={Route::Lessons} classes="button">{ "Back to all lessons" }</Link<Route>>
                }
            </nav>
        </>
    };
    let lab = html! {
        { for lesson.widgets().map(|spec| widgets::render(spec.kind, spec.caption.as_deref())) }
    };
    html! {
        <article class={classes!("page", "lesson-page", has_lab.then_some("lesson-with-lab"))}>
            <header class="lesson-header">
                <p class="crumbs">
                    <Link<Route> to={Route::Lessons}>{ "Lessons" }</Link<Route>>{ " › " }{ &lesson.meta.track }
                </p>
                <h1>{ &lesson.meta.title }</h1>
                <p class="lead">{ &lesson.meta.summary }</p>
                <p class="lesson-progress" aria-live="polite">
                    <progress max={goals.to_string()} value={done.to_string()} aria-label="Goals completed"></progress>
                    { format!(" {done} of {goals} goals done") }
                </p>
            </header>
            <LabProvider key={key} config={lesson.meta.config} share={share} persist={AttrValue::from(format!("lesson.{}", lesson.meta.id))}>
                <SqlLessonProvider size={lesson.meta.sql} query={AttrValue::from(query)}>
                    if has_lab {
                        <LessonLayout text={text} lab={lab} has_clock={lesson.widgets().any(|w| w.kind == WidgetKind::TimeControls)} />
                    } else {
                        <div class="lesson-text">{ text }</div>
                    }
                </SqlLessonProvider>
            </LabProvider>
        </article>
    }
}
