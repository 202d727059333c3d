//! Terminal input → session actions and view changes. Prompts (override reason, edit size,
//! confirmations) take the next key before the keymap does.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};
use rust_decimal::Decimal;

use crate::session::{Action, Session};
use crate::ui::keymap::{Command, Keymap};
use crate::ui::view::{Prompt, Screen, ViewState};

/// What the loop must do after an input besides redrawing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Effect {
    None,
    Replay(ReplayChange),
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ReplayChange {
    TogglePause,
    Faster,
    Slower,
}

/// Apply one terminal event. Returns the session actions to run and any loop effect.
pub fn handle(
    ev: &Event,
    keymap: &Keymap,
    view: &mut ViewState,
    session: &Session,
) -> (Vec<Action>, Effect) {
    match ev {
        Event::Key(k) if k.kind != KeyEventKind::Release => on_key(k, keymap, view, session),
        Event::Mouse(m) => {
            let inside = |r: ratatui::layout::Rect| {
                m.column >= r.x
                    && m.column < r.x + r.width
                    && m.row >= r.y
                    && m.row < r.y + r.height
            };
            match m.kind {
                MouseEventKind::Down(_) => {
                    if let Some((_, id)) = view.signal_rows.iter().find(|(r, _)| inside(*r)) {
                        return (vec![Action::Select { id: *id }], Effect::None);
                    }
                }
                MouseEventKind::ScrollUp if inside(view.chart_area) => view.scroll += 5,
                MouseEventKind::ScrollDown if inside(view.chart_area) => {
                    view.scroll = view.scroll.saturating_sub(5)
                }
                _ => {}
            }
            (Vec::new(), Effect::None)
        }
        _ => (Vec::new(), Effect::None),
    }
}

fn on_key(
    k: &KeyEvent,
    keymap: &Keymap,
    view: &mut ViewState,
    session: &Session,
) -> (Vec<Action>, Effect) {
    // Nothing is bound to Alt, and a terminal sends Alt+key as Esc then the key — which is also
    // what an Esc typed just before a key looks like when both arrive in one read (a laggy ssh
    // link, a busy machine). Taken as the key alone, `K` right after the help's Esc only closed
    // the help and the kill switch stayed off; taken as both, each does its job.
    if k.modifiers.contains(KeyModifiers::ALT) && k.code != KeyCode::Esc {
        let esc = KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE);
        let (mut actions, _) = on_key(&esc, keymap, view, session);
        let key = KeyEvent::new(k.code, k.modifiers - KeyModifiers::ALT);
        let (more, effect) = on_key(&key, keymap, view, session);
        actions.extend(more);
        return (actions, effect);
    }
    if let Some(prompt) = view.prompt.take() {
        return (answer_prompt(prompt, k, keymap, view), Effect::None);
    }
    // Esc leaves overlays and other screens without being a bindable command.
    if k.code == KeyCode::Esc {
        view.help = false;
        view.screen = Screen::Dashboard;
        return (Vec::new(), Effect::None);
    }
    let Some(cmd) = keymap.command(k) else {
        return (Vec::new(), Effect::None);
    };
    // Any key closes the help overlay; only quit also does its job.
    if view.help {
        view.help = false;
        if cmd != Command::Quit {
            return (Vec::new(), Effect::None);
        }
    }
    let selected = session.store.signals.selected_id();
    let mut actions = Vec::new();
    let mut effect = Effect::None;
    match cmd {
        Command::Ack => actions.push(Action::Acknowledge {
            id: None,
            qty: None,
        }),
        Command::Override => view.prompt = selected.map(|id| Prompt::OverrideReason { id }),
        Command::Edit => {
            view.prompt = selected.and_then(|id| {
                session.store.signals.get(id).map(|e| Prompt::EditSize {
                    id,
                    buffer: e.signal.qty.to_string(),
                    typed: false,
                })
            })
        }
        Command::Snooze => actions.push(Action::Snooze { id: None }),
        Command::Flatten => view.prompt = Some(Prompt::ConfirmFlatten),
        Command::PauseAgents => actions.push(Action::TogglePauseAgents),
        Command::Kill => actions.push(Action::ToggleKill),
        Command::Mode => actions.push(Action::CycleMode),
        Command::Help => view.help = true,
        Command::Quit => {
            if session.store.working_orders().next().is_some() {
                view.prompt = Some(Prompt::ConfirmQuit);
            } else {
                view.quit = true;
            }
        }
        Command::PauseReplay => effect = Effect::Replay(ReplayChange::TogglePause),
        Command::Faster => effect = Effect::Replay(ReplayChange::Faster),
        Command::Slower => effect = Effect::Replay(ReplayChange::Slower),
        Command::Focus(s) => {
            view.focus = s;
            view.scroll = 0;
        }
        Command::Timeframe => view.aggregate = if view.aggregate == 1 { 5 } else { 1 },
        Command::ZoomIn => view.zoom = (view.zoom * 2 / 3).max(20),
        Command::ZoomOut => view.zoom = (view.zoom * 3 / 2).min(5_000),
        Command::ScrollLeft => view.scroll += (view.zoom / 4).max(1),
        Command::ScrollRight => view.scroll = view.scroll.saturating_sub((view.zoom / 4).max(1)),
        Command::NextSignal => actions.push(Action::SelectNext),
        Command::PrevSignal => actions.push(Action::SelectPrev),
        Command::Scorecard => view.screen = toggle(view.screen, Screen::Scorecard),
        Command::Journal => view.screen = toggle(view.screen, Screen::Journal),
        Command::Pane => view.pane = (view.pane + 1) % crate::ui::COMPACT_PANES.len(),
    }
    (actions, effect)
}

fn toggle(current: Screen, target: Screen) -> Screen {
    if current == target {
        Screen::Dashboard
    } else {
        target
    }
}

fn answer_prompt(
    prompt: Prompt,
    k: &KeyEvent,
    keymap: &Keymap,
    view: &mut ViewState,
) -> Vec<Action> {
    let yes = keymap.is_yes(k);
    match prompt {
        Prompt::OverrideReason { id } => match (keymap.reason(k), k.code) {
            (Some(reason), _) => vec![Action::Override {
                id: Some(id),
                reason,
            }],
            (None, KeyCode::Esc) => Vec::new(),
            _ => {
                view.prompt = Some(Prompt::OverrideReason { id });
                Vec::new()
            }
        },
        Prompt::EditSize {
            id,
            mut buffer,
            typed,
        } => match k.code {
            // `e 9999` asks for 9,999 shares: the first digit replaces the proposal's size (it
            // was appended to it: 354 became 3,549,999).
            KeyCode::Char(c) if c.is_ascii_digit() && (!typed || buffer.len() < 9) => {
                if !typed {
                    buffer.clear();
                }
                buffer.push(c);
                view.prompt = Some(Prompt::EditSize {
                    id,
                    buffer,
                    typed: true,
                });
                Vec::new()
            }
            KeyCode::Backspace => {
                buffer.pop();
                view.prompt = Some(Prompt::EditSize {
                    id,
                    buffer,
                    typed: true,
                });
                Vec::new()
            }
            KeyCode::Enter => match buffer.parse::<u64>() {
                Ok(q) => vec![Action::Acknowledge {
                    id: Some(id),
                    qty: Some(Decimal::from(q)),
                }],
                Err(_) => Vec::new(),
            },
            KeyCode::Esc => Vec::new(),
            _ => {
                view.prompt = Some(Prompt::EditSize { id, buffer, typed });
                Vec::new()
            }
        },
        Prompt::ConfirmFlatten => {
            if yes {
                vec![Action::Flatten]
            } else {
                Vec::new()
            }
        }
        Prompt::ConfirmQuit => {
            view.quit = yes;
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::paper::PaperBroker;
    use crate::config::Config;
    use crate::model::Timeframe;

    fn press(code: KeyCode, modifiers: KeyModifiers) -> Event {
        Event::Key(KeyEvent::new(code, modifiers))
    }

    fn keys_and_session(cfg: &Config) -> (Keymap, Session) {
        let keymap = Keymap::from_config(&cfg.keys).unwrap();
        let session = Session::new(
            cfg.clone(),
            Box::new(PaperBroker::new(&cfg.paper)),
            Timeframe::Day1,
            "keys",
        );
        (keymap, session)
    }

    #[test]
    fn esc_and_a_key_in_one_read_close_the_overlay_and_do_the_key() {
        let cfg = Config::default_config();
        let (keymap, session) = keys_and_session(&cfg);
        let mut view = ViewState::new(60);
        view.help = true;
        // What crossterm makes of ESC followed by `K` in the same read.
        let (actions, _) = handle(
            &press(KeyCode::Char('K'), KeyModifiers::ALT),
            &keymap,
            &mut view,
            &session,
        );
        assert!(!view.help, "the Esc closed the help");
        assert_eq!(
            actions,
            [Action::ToggleKill],
            "and the K engaged the kill switch"
        );
        // A plain `K` with the help open only closes it, as before.
        view.help = true;
        let (actions, _) = handle(
            &press(KeyCode::Char('K'), KeyModifiers::NONE),
            &keymap,
            &mut view,
            &session,
        );
        assert!(!view.help && actions.is_empty());
    }

    #[test]
    fn the_override_reasons_and_yes_answer_to_their_remapped_keys() {
        let mut cfg = Config::default_config();
        cfg.keys.reason_news = "1".into();
        cfg.keys.yes = "j".into();
        let (keymap, session) = keys_and_session(&cfg);
        let mut view = ViewState::new(60);
        let key = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        view.prompt = Some(Prompt::OverrideReason { id: 7 });
        let (actions, _) = handle(&key('n'), &keymap, &mut view, &session);
        assert!(
            actions.is_empty() && view.prompt.is_some(),
            "n is no reason now"
        );
        let (actions, _) = handle(&key('1'), &keymap, &mut view, &session);
        assert_eq!(
            actions,
            [Action::Override {
                id: Some(7),
                reason: 'n'
            }],
            "the journal still records the news reason"
        );
        view.prompt = Some(Prompt::ConfirmFlatten);
        let (actions, _) = handle(&key('y'), &keymap, &mut view, &session);
        assert!(actions.is_empty(), "y is no longer yes");
        view.prompt = Some(Prompt::ConfirmFlatten);
        let (actions, _) = handle(&key('j'), &keymap, &mut view, &session);
        assert_eq!(actions, [Action::Flatten]);
    }

    /// `e` then `9999` asks for 9,999 shares: the proposal's size shown in the prompt is
    /// replaced by the first digit, not extended by it; Backspace edits it as before.
    #[test]
    fn typing_a_size_replaces_the_proposed_one() {
        let cfg = Config::default_config();
        let (keymap, session) = keys_and_session(&cfg);
        let mut view = ViewState::new(60);
        let key = |c| press(KeyCode::Char(c), KeyModifiers::NONE);
        let enter = press(KeyCode::Enter, KeyModifiers::NONE);
        let back = press(KeyCode::Backspace, KeyModifiers::NONE);
        let edit = |view: &mut ViewState| {
            view.prompt = Some(Prompt::EditSize {
                id: 3,
                buffer: "354".into(),
                typed: false,
            })
        };
        edit(&mut view);
        for c in ['9', '9', '9', '9'] {
            handle(&key(c), &keymap, &mut view, &session);
        }
        let (actions, _) = handle(&enter, &keymap, &mut view, &session);
        assert_eq!(
            actions,
            [Action::Acknowledge {
                id: Some(3),
                qty: Some(Decimal::from(9999u64)),
            }]
        );
        edit(&mut view);
        for k in [&back, &key('0')] {
            handle(k, &keymap, &mut view, &session);
        }
        let (actions, _) = handle(&enter, &keymap, &mut view, &session);
        assert_eq!(
            actions,
            [Action::Acknowledge {
                id: Some(3),
                qty: Some(Decimal::from(350u64)),
            }]
        );
    }
}
