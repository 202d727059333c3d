//! The most recent swing pivots kept sorted by price, as flat arrays, for the level book's
//! reclustering: the recluster is a tight sweep over prices and weights, and evicting the
//! oldest pivot needs no second, arrival-ordered copy of the set.

/// Pivot prices in ascending order with their cluster weights and arrival numbers. Equal prices
/// keep the newest first (the order the level book has always used).
#[derive(Debug, Clone)]
pub struct PivotSet {
    price: Vec<f64>,
    /// `volume.max(1.0)`: a pivot's weight in its cluster's volume-weighted mean.
    weight: Vec<f64>,
    /// Arrival number; the set always holds arrivals `next - len .. next`.
    arrival: Vec<u64>,
    next: u64,
    cap: usize,
}

impl PivotSet {
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        PivotSet {
            price: Vec::with_capacity(cap + 1),
            weight: Vec::with_capacity(cap + 1),
            arrival: Vec::with_capacity(cap + 1),
            next: 0,
            cap,
        }
    }

    /// Add a pivot, evicting the oldest one when full.
    pub fn insert(&mut self, price: f64, volume: f64) {
        if self.price.len() >= self.cap {
            let oldest = self.next - self.price.len() as u64;
            if let Some(k) = self.arrival.iter().position(|a| *a == oldest) {
                self.price.remove(k);
                self.weight.remove(k);
                self.arrival.remove(k);
            }
        }
        let at = self.price.partition_point(|q| *q < price);
        self.price.insert(at, price);
        self.weight.insert(at, volume.max(1.0));
        self.arrival.insert(at, self.next);
        self.next += 1;
    }

    /// "Within `tol` of each other": a sweep in price order where a pivot joins while it is
    /// within `tol` of the cluster's lowest pivot, so no cluster spans more than `tol` (chaining
    /// would let a cluster creep across several real levels). Calls `f(weighted mean, touches)`
    /// per cluster, in price order.
    #[inline]
    pub fn clusters(&self, tol: f64, mut f: impl FnMut(f64, u32)) {
        let (px, w) = (&self.price[..], &self.weight[..self.price.len()]);
        let n = px.len();
        let mut i = 0;
        while i < n {
            let first = px[i];
            let (mut pv, mut v) = (0.0, 0.0);
            let mut j = i;
            while j < n {
                if px[j] - first > tol {
                    break;
                }
                pv += px[j] * w[j];
                v += w[j];
                j += 1;
            }
            f(pv / v, (j - i) as u32);
            i = j;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_newest_sorted_and_clusters_within_tolerance() {
        let mut s = PivotSet::new(3);
        for (p, v) in [(10.0, 1.0), (12.0, 1.0), (10.4, 3.0), (10.2, 1.0)] {
            s.insert(p, v);
        }
        // 10.0 (the oldest) left; 10.2 and 10.4 cluster at (10.2 + 3 × 10.4) / 4.
        let mut got = Vec::new();
        s.clusters(0.5, |m, n| got.push((m, n)));
        assert_eq!(got.len(), 2);
        assert!((got[0].0 - 10.35).abs() < 1e-12 && got[0].1 == 2);
        assert_eq!(got[1], (12.0, 1));
    }
}
