//! Key layouts. Big-endian so that sled's byte order is time order.

/// `items`: source, 0, item id.
pub fn item_key(source: &str, id: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(source.len() + id.len() + 1);
    k.extend_from_slice(source.as_bytes());
    k.push(0);
    k.extend_from_slice(id.as_bytes());
    k
}

/// The prefix of every `items` key of one source.
pub fn source_prefix(source: &str) -> Vec<u8> {
    let mut k = source.as_bytes().to_vec();
    k.push(0);
    k
}

/// `recent`: sort time (seconds, shifted to sort as unsigned), then the item key.
pub fn recent_key(ts: i64, source: &str, id: &str) -> Vec<u8> {
    let mut k = ts_bytes(ts).to_vec();
    k.extend_from_slice(&item_key(source, id));
    k
}

pub fn ts_bytes(ts: i64) -> [u8; 8] {
    ((ts as u64) ^ (1 << 63)).to_be_bytes()
}

/// Split a `recent` key into (sort time, source, id).
pub fn split_recent(key: &[u8]) -> Option<(i64, &str, &str)> {
    let (ts, rest) = key.split_at_checked(8)?;
    let ts = (u64::from_be_bytes(ts.try_into().ok()?) ^ (1 << 63)) as i64;
    let nul = rest.iter().position(|&b| b == 0)?;
    let source = std::str::from_utf8(&rest[..nul]).ok()?;
    let id = std::str::from_utf8(&rest[nul + 1..]).ok()?;
    Some((ts, source, id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keys_sort_by_time_including_before_1970() {
        let a = recent_key(-5, "s", "a");
        let b = recent_key(3, "s", "b");
        let c = recent_key(1_700_000_000, "s", "c");
        assert!(a < b && b < c);
        assert_eq!(split_recent(&c), Some((1_700_000_000, "s", "c")));
        assert_eq!(split_recent(&a), Some((-5, "s", "a")));
    }
}
