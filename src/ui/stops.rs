//! One stop per held position, read from the engine's view, so the charts and the panes agree.

use crate::model::Symbol;
use crate::session::Session;

/// The Bear's trailed stop in the price of the vehicle it holds (`sym`), while it holds it.
pub fn vehicle_stop(s: &Session, sym: Symbol) -> Option<f64> {
    let b = &s.engine_view().bear;
    let held = s
        .store
        .positions
        .get(&sym)
        .is_some_and(|p| !p.qty.is_zero());
    (held && b.vehicle == Some(sym))
        .then_some(b.stop_vehicle)
        .flatten()
        .filter(|p| p.is_finite())
}

/// What the Positions pane says of a position's stop: the vehicle's with the IWM stop it comes
/// from; for IWM the agents' (the hedge's, the Bull's long); the trader's book has none.
pub fn stop_text(s: &Session, sym: Symbol) -> Option<String> {
    let v = s.engine_view();
    if sym == Symbol::Iwm {
        // Only the stops of shares held: a hedge still waiting for its answer has none yet.
        let b = &v.bull;
        let stops: Vec<String> = [
            ("hedge", b.hedge_stop.filter(|_| !b.hedge_held.is_zero())),
            ("bull", b.stop_iwm.filter(|_| !b.held.is_zero())),
        ]
        .into_iter()
        .filter_map(|(who, p)| p.map(|p| format!("{who} stop {p:.2}")))
        .collect();
        return (!stops.is_empty()).then(|| stops.join(" · "));
    }
    let p = vehicle_stop(s, sym)?;
    Some(match v.bear.stop_iwm {
        Some(iwm) => format!("stop {p:.2} (IWM {iwm:.2})"),
        None => format!("stop {p:.2}"),
    })
}
