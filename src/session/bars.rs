//! Bars in: the feed's events at the session's door (refused when impossible, out of order or
//! duplicated), into the store, the simulator and the engine, one bar at a time.

use super::{close, guard, health_text, Notice, Session, FUTURE_SLACK_MINUTES};
use crate::engine::{EngineEvent, EngineOutput};
use crate::feed::{FeedEvent, FeedHealth};
use crate::model::{Bar, Symbol, Timeframe};
use crate::store::Severity;

impl Session {
    /// One closed bar, exactly as `handle_into(Input::Feed(FeedEvent::Bar { .. }), out)`,
    /// without building and moving the input envelope (136 bytes, twice) on every bar: the
    /// backtest's entry.
    pub fn bar_into(
        &mut self,
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
        out: &mut Vec<Notice>,
    ) {
        self.on_live_bar(symbol, timeframe, bar, out);
        self.journal_stops();
    }

    pub(super) fn on_live_bar(
        &mut self,
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
        out: &mut Vec<Notice>,
    ) {
        // Journaled before it is acted on: a resumed replay continues after the last
        // journaled bar, so a bar whose signal was sent is never traded twice.
        self.journal("bar", |j| j.record_bar(symbol, timeframe, &bar));
        self.before_live_bar(out);
        // A backtest's loop reads orders and fills only: no notice of every bar.
        if self.on_bar(symbol, bar, true, out) && !self.backtest {
            out.push(Notice::Bar {
                symbol,
                timeframe,
                bar,
            });
        }
        // Looked at first: `take` moves the whole (large) notice slot on every bar.
        if self.positioning.notice.is_some() {
            out.extend(self.positioning.notice.take());
        }
        if symbol == Symbol::Iwm {
            self.ask_restored(out);
        }
        if self.journal.is_some() {
            guard::crash_hook("after_bar");
        }
    }

    pub(super) fn on_feed(&mut self, ev: FeedEvent, out: &mut Vec<Notice>) {
        match ev {
            FeedEvent::History {
                symbol,
                timeframe,
                bars,
            } => self.on_history(symbol, timeframe, bars, false, out),
            FeedEvent::HistoryPart {
                symbol,
                timeframe,
                bars,
            } => self.on_history(symbol, timeframe, bars, true, out),
            FeedEvent::Bar {
                symbol,
                timeframe,
                bar,
            } => self.on_live_bar(symbol, timeframe, bar, out),
            // Drawn only: neither journaled nor given to the engine, which acts on closed bars.
            FeedEvent::Forming {
                symbol,
                timeframe,
                bar,
            } if timeframe == self.store.timeframe => {
                if self.wall_clock {
                    self.forming_arrived = Some(chrono::Utc::now());
                }
                self.store.live.set_forming(symbol, bar)
            }
            FeedEvent::Forming { .. } => {}
            FeedEvent::Market(m) => {
                self.store.live.market = Some(m);
                if let Some(day) = self.decided_close.filter(|_| !m.open) {
                    self.expire_close_proposals(day, out);
                }
            }
            FeedEvent::DecideAtClose { at, close } => self.decide_at_close(at, close, out),
            FeedEvent::Health { source, health } => {
                let changed = self.store.health.get(&source) != Some(&health);
                if changed {
                    let sev = if health.is_bad() {
                        Severity::Warn
                    } else {
                        Severity::Info
                    };
                    self.store
                        .push_log(sev, format!("feed {source}: {}", health_text(&health)));
                    if let Some(r) = self
                        .store
                        .replay
                        .as_mut()
                        .filter(|_| health == FeedHealth::Ended)
                    {
                        r.ended = true;
                    }
                    self.journal("feed health", |j| j.record_feed_health(&source, &health));
                    self.store.health.insert(source.clone(), health.clone());
                    let stale = self.store.bars_unhealthy();
                    self.process_engine(EngineEvent::DataStale(stale), out);
                    out.push(Notice::Health { source, health });
                }
            }
            FeedEvent::ReplayNext(next) => {
                self.journal("replay", |j| j.expect_replay(next));
            }
            FeedEvent::Warning { source, message } => {
                self.store
                    .push_log(Severity::Warn, format!("{source}: {message}"));
                out.push(Notice::Warning { source, message });
            }
            FeedEvent::Records { records, until } => {
                let trades: u32 = records.iter().map(|(_, r)| r.trades).sum();
                self.store.lots.seed(&records);
                self.store.push_log(
                    Severity::Info,
                    format!(
                        "signal records: {trades} trades of the embedded daily history before {}",
                        until.format("%Y-%m-%d")
                    ),
                );
            }
            ev @ (FeedEvent::ShortInterest(_)
            | FeedEvent::ShortVolume(_)
            | FeedEvent::Positioning(_)) => {
                if self.store.positioning.apply(&ev) {
                    // The next bar looks again, whatever it was waiting for.
                    self.positioning.seen = None;
                    if let Some(now) = self.store.now {
                        self.refresh_positioning(now, true, true, out);
                        out.extend(self.positioning.notice.take());
                    }
                }
                out.push(match ev {
                    FeedEvent::ShortInterest(snapshot) => Notice::ShortInterest { snapshot },
                    FeedEvent::ShortVolume(snapshot) => Notice::ShortVolume { snapshot },
                    FeedEvent::Positioning(snapshot) => Notice::Positioning { snapshot },
                    _ => return,
                });
            }
        }
    }

    /// Returns whether the bar was taken. Impossible, duplicate and out-of-order bars are refused
    /// with a status line: nothing downstream ever sees them.
    pub(super) fn on_bar(
        &mut self,
        symbol: Symbol,
        bar: Bar,
        live: bool,
        out: &mut Vec<Notice>,
    ) -> bool {
        let refusal = match (bar.impossibility(), self.store.series(symbol).last()) {
            (Some(why), _) => Some(format!("impossible bar at {}: {why}", bar.time)),
            (None, Some(last)) if bar.time <= last.time => Some(format!(
                "{} bar at {} is not after {} (duplicate or out of order)",
                symbol, bar.time, last.time
            )),
            // On a live clock a bar from the future is a vendor error; taking it would make every
            // real bar after it look out of order and freeze the symbol.
            _ if self.wall_clock
                && bar.time
                    > chrono::Utc::now() + chrono::Duration::minutes(FUTURE_SLACK_MINUTES) =>
            {
                Some(format!("{symbol} bar at {} is in the future", bar.time))
            }
            _ => None,
        };
        if let Some(message) = refusal {
            let source = format!("bars {symbol}");
            self.store
                .push_log(Severity::Warn, format!("{source}: skipped {message}"));
            out.push(Notice::Warning { source, message });
            return false;
        }
        let new_day = self
            .store
            .now
            // UTC dates: `date_naive` of a `DateTime<Utc>` adds a zero offset first.
            .is_some_and(|t| t.naive_utc().date() != bar.time.naive_utc().date());
        self.store.now = Some(self.store.now.map_or(bar.time, |t| t.max(bar.time)));
        self.store.series[symbol.index()].push(bar);
        if live {
            if new_day {
                self.store.day_start_equity = self.store.equity;
                self.store.day_start_book = self.book_value();
            }
            self.resume_day(new_day);
            for ev in self.broker.on_bar(symbol, &bar) {
                self.on_broker(ev, out);
            }
            // scorecard (ui): before the engine, so a signal on this bar enters at the next open.
            if !self.backtest {
                self.store.scorecard.on_bar(symbol, &bar);
            }
        }
        // The bar clock ticks before the engine speaks, so a signal of this bar has its full
        // `timeout_bars` of bars after it to be answered.
        if live && symbol == Symbol::Iwm {
            self.store.bar_index += 1;
            if self.store.bar_index >= self.store.status_until_bar {
                self.store.status = None;
            }
        }
        if symbol == Symbol::Iwm {
            // Keyed on IWM's own bar, not on the bar clock: TWM / SRTY bars of a new day may
            // arrive first and move the clock.
            self.positioning_on_iwm_bar(&bar, live, out);
        }
        // The agents size from the equity on screen, marked at this bar, not the equity at the
        // last fill.
        // Flat, equity is cash, which only fills move (and they report it).
        let holding = || self.store.positions.values().any(|p| !p.qty.is_zero());
        let mut marked = None;
        if live && symbol == Symbol::Iwm && holding() {
            let equity = self.store.marked_equity();
            if equity != self.engine.equity() {
                self.engine.process(EngineEvent::Account { equity });
            }
            marked = Some((equity, self.broker_events));
        }
        let mut outputs = std::mem::take(&mut self.outputs);
        let timed = if symbol == Symbol::Iwm {
            self.probe.engine_start()
        } else {
            None
        };
        self.engine
            .process_into(EngineEvent::Bar { symbol, bar }, &mut outputs);
        self.probe.engine_end(timed);
        // Most bars (every vehicle bar) bring nothing: no drain built and dropped for them.
        if !outputs.is_empty() {
            self.take_outputs(&mut outputs, live, out);
        }
        self.outputs = outputs;
        if live && symbol == Symbol::Iwm {
            // The day closed: a close proposal still waiting can no longer trade at it.
            // (The day is worked out only once a close was decided: a time-zone conversion on
            // every bar is a few percent of a backtest.)
            let closed = |d: &chrono::NaiveDate| close::market_day(bar.time) >= *d;
            if let Some(day) = self.decided_close.filter(closed) {
                self.expire_close_proposals(day, out);
            }
            self.age_signals(out);
            self.buy_book(&bar, out);
        }
        if symbol == Symbol::Iwm {
            self.mark_book_beta();
        }
        // A bar moves only its own symbol's price; fills, reconciles and restores mark the
        // equity themselves. (Marking every bar was 6 % of a backtest.)
        if self
            .store
            .positions
            .get(&symbol)
            .is_some_and(|p| !p.qty.is_zero())
        {
            self.store.equity = match marked {
                // No fill, cash or position change since it was marked at this bar.
                Some((equity, n)) if n == self.broker_events => equity,
                _ => self.store.marked_equity(),
            };
        }
        true
    }

    /// The engine's outputs of one bar, in order: the indicator row, then its signals.
    fn take_outputs(&mut self, outputs: &mut Vec<EngineOutput>, live: bool, out: &mut Vec<Notice>) {
        for o in outputs.drain(..) {
            match o {
                EngineOutput::Indicators(row) => self.store.indicators.push(row),
                EngineOutput::Signal(d) if live => {
                    let timed = self.probe.signal_start();
                    self.on_draft(d, out);
                    self.probe.signal_end(timed);
                }
                // Signals during warm-up are history: nobody is asked and nothing trades, so the
                // agents do not hold what they proposed.
                EngineOutput::Signal(d) => {
                    self.process_engine(EngineEvent::Unfilled { signal_id: d.id }, out)
                }
            }
        }
    }
}
