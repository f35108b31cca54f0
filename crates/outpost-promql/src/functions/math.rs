//! Element-wise math (`abs`, `ln`, trigonometry...), `round`, `clamp*`,
//! and the date functions (`hour`, `day_of_week`...).

use outpost_tsdb::Labels;
use promql_parser::parser::Call;

use super::{arg, map, scalar, vector};
use crate::engine::{Ctx, Elem, Val};
use crate::error::{Error, Result};

/// Evaluates a math or date function.
pub(super) fn call(ctx: &mut Ctx<'_>, c: &Call, t: i64) -> Result<Val> {
    let name = c.func.name;
    match name {
        "abs" | "ceil" | "floor" | "exp" | "ln" | "log2" | "log10" | "sqrt" | "sgn" | "acos"
        | "acosh" | "asin" | "asinh" | "atan" | "atanh" | "cos" | "cosh" | "sin" | "sinh"
        | "tan" | "tanh" | "deg" | "rad" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let f: fn(f64) -> f64 = match name {
                "abs" => f64::abs,
                "ceil" => f64::ceil,
                "floor" => f64::floor,
                "exp" => f64::exp,
                "ln" => f64::ln,
                "log2" => f64::log2,
                "log10" => f64::log10,
                "sqrt" => f64::sqrt,
                "sgn" => |x: f64| {
                    if x > 0.0 {
                        1.0
                    } else if x < 0.0 {
                        -1.0
                    } else {
                        x
                    }
                },
                "acos" => f64::acos,
                "acosh" => f64::acosh,
                "asin" => f64::asin,
                "asinh" => f64::asinh,
                "atan" => f64::atan,
                "atanh" => f64::atanh,
                "cos" => f64::cos,
                "cosh" => f64::cosh,
                "sin" => f64::sin,
                "sinh" => f64::sinh,
                "tan" => f64::tan,
                "tanh" => f64::tanh,
                "deg" => f64::to_degrees,
                _ => f64::to_radians,
            };
            Ok(map(ctx, v, f))
        }
        "round" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let to = match c.args.args.get(1) {
                Some(e) => scalar(ctx, e, t)?,
                None => 1.0,
            };
            let inv = 1.0 / to;
            Ok(map(ctx, v, |x| (x * inv + 0.5).floor() / inv))
        }
        "clamp" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let (lo, hi) = (scalar(ctx, arg(c, 1)?, t)?, scalar(ctx, arg(c, 2)?, t)?);
            if hi < lo {
                return Ok(Val::Vector(Vec::new()));
            }
            Ok(map(ctx, v, |x| x.max(lo).min(hi)))
        }
        "clamp_min" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let lo = scalar(ctx, arg(c, 1)?, t)?;
            Ok(map(ctx, v, |x| {
                if x.is_nan() || lo.is_nan() {
                    f64::NAN
                } else {
                    x.max(lo)
                }
            }))
        }
        "clamp_max" => {
            let v = vector(ctx, arg(c, 0)?, t)?;
            let hi = scalar(ctx, arg(c, 1)?, t)?;
            Ok(map(ctx, v, |x| {
                if x.is_nan() || hi.is_nan() {
                    f64::NAN
                } else {
                    x.min(hi)
                }
            }))
        }
        "minute" | "hour" | "day_of_month" | "day_of_week" | "day_of_year" | "days_in_month"
        | "month" | "year" => {
            let v = match c.args.args.first() {
                Some(e) => vector(ctx, e, t)?,
                None => vec![Elem::new(Labels::default(), t, t as f64 / 1000.0)],
            };
            Ok(map(ctx, v, |x| date_part(name, x)))
        }
        other => Err(Error::Unsupported(format!("function {other}()"))),
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// A date function (`hour`, `month`...) of `secs` since the epoch (UTC).
pub(super) fn date_part(name: &str, secs: f64) -> f64 {
    if !secs.is_finite() {
        return f64::NAN;
    }
    let s = secs.floor() as i64;
    let days = s.div_euclid(86_400);
    let sod = s.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let month_days = [
        31,
        if is_leap(y) { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    match name {
        "minute" => ((sod / 60) % 60) as f64,
        "hour" => (sod / 3600) as f64,
        "day_of_month" => d as f64,
        "day_of_week" => ((days + 4).rem_euclid(7)) as f64,
        "day_of_year" => (month_days[..(m as usize - 1)].iter().sum::<i64>() + d as i64) as f64,
        "days_in_month" => month_days[m as usize - 1] as f64,
        "month" => m as f64,
        "year" => y as f64,
        _ => f64::NAN,
    }
}
