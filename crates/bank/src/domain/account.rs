//! Bank requisites: a Russian account number and a bank's BIC.

use std::fmt;

use super::inn::{IdError, fixed_digits};

/// A 20-digit Russian bank account number (расчётный счёт).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct AccountNumber(String);

impl AccountNumber {
    pub fn parse(text: &str) -> Result<AccountNumber, IdError> {
        let t = text.trim();
        fixed_digits("account number", t, 20)?;
        Ok(AccountNumber(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Digits 6–8 are the ISO 4217 currency code, except that roubles are written `810`
    /// (the code of the pre-1998 rouble) rather than `643`.
    pub fn currency_code(&self) -> &str {
        &self.0[5..8]
    }

    /// Whether the control digit (the 9th) agrees with `bic`, per the Bank of Russia's
    /// algorithm: three digits from the BIC, then the account, weighted 7-1-3.
    /// Accounts at the Bank of Russia's own divisions take `0` and BIC digits 5–6 instead.
    pub fn agrees_with(&self, bic: &Bic) -> bool {
        let b = bic.as_str().as_bytes();
        let prefix: [u8; 3] = if b[6..9] == *b"000" || b[6..9] == *b"001" || b[6..9] == *b"002" {
            [b'0', b[4], b[5]]
        } else {
            [b[6], b[7], b[8]]
        };
        let weights = [7u32, 1, 3];
        let sum: u32 = prefix
            .iter()
            .chain(self.0.as_bytes())
            .enumerate()
            .map(|(i, &c)| (u32::from(c - b'0') * weights[i % 3]) % 10)
            .sum();
        sum.is_multiple_of(10)
    }
}

impl fmt::Display for AccountNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 9-digit Russian bank identification code (БИК).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Bic(String);

impl Bic {
    pub fn parse(text: &str) -> Result<Bic, IdError> {
        let t = text.trim();
        fixed_digits("BIC", t, 9)?;
        Ok(Bic(t.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Bic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_numbers() {
        let a = AccountNumber::parse(" 40702810900000000001 ").unwrap();
        assert_eq!(a.as_str(), "40702810900000000001");
        assert_eq!(a.currency_code(), "810");
        let e = AccountNumber::parse("006780000008")
            .unwrap_err()
            .to_string();
        assert!(e.contains("20 digits, not 12"), "{e}");
        assert!(AccountNumber::parse("4070281090000000000x").is_err());
    }

    #[test]
    fn control_digit_against_bic() {
        // Real requisites published by the banks themselves (T-Bank's and Sber's own
        // correspondent accounts at the Bank of Russia and a T-Bank client account).
        let tbank = Bic::parse("044525974").unwrap();
        let sber = Bic::parse("044525225").unwrap();
        assert!(
            AccountNumber::parse("40702810910000045892")
                .unwrap()
                .agrees_with(&tbank)
        );
        assert!(
            AccountNumber::parse("40702810110001754490")
                .unwrap()
                .agrees_with(&tbank)
        );
        assert!(
            !AccountNumber::parse("40702810910000045893")
                .unwrap()
                .agrees_with(&tbank)
        );
        assert!(
            AccountNumber::parse("40702810638000481807")
                .unwrap()
                .agrees_with(&sber)
        );
    }

    #[test]
    fn bic() {
        assert!(Bic::parse("044525974").is_ok());
        assert!(Bic::parse("04452597").is_err());
    }
}
