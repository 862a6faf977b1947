"""ISO 4217 currency codes accepted for contributions.

The list is every alphabetic code in the column ``ISO4217-currency_alphabetic_code`` of
/work/shared/data/country-codes.csv (datasets/country-codes, ODC-PDDL-1.0, see PROVENANCE.md
there): the currencies in use in some country today, 155 codes. A currency no country
uses any more (e.g. a pre-euro one) is refused; add its code here, with its source, if an
old record needs it. The database holds only the shape (three capital letters, constraint
``contribution_currency_iso4217``); this list is checked by ``Contribution.clean()``.
"""

ISO_4217_CODES: frozenset[str] = frozenset(
    (  # noqa: SIM905 -- one string keeps the 155 codes readable; a list literal takes 155 lines
        "AED AFN ALL AMD AOA ARS AUD AWG AZN BAM BBD BDT BHD BIF BMD BND BOB BRL BSD BTN BWP BYN "
        "BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP "
        "GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS "
        "KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR "
        "MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD "
        "RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP "
        "TTD TWD TZS UAH UGX USD UYU UYW UZS VED VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW "
        "ZWG "
    ).split()
)


def is_iso_4217(code: str) -> bool:
    return code in ISO_4217_CODES
