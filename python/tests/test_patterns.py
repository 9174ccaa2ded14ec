"""Patterns: the one grammar (vt_symbol, *.EXCH, PRODUCT*.EXCH, *) and the topics each subscribes."""
import unittest

from mdhub.patterns import Subscriptions, parse_pattern, product_of


class PatternTest(unittest.TestCase):
    def test_forms(self) -> None:
        self.assertEqual(parse_pattern("*").kind, "all")
        self.assertEqual(parse_pattern("all").kind, "all")
        self.assertEqual(parse_pattern("*.SHFE").kind, "exchange")
        p = parse_pattern("rb2701.SHFE")
        self.assertEqual((p.kind, p.symbol, p.exchange, p.vt_symbol), ("instrument", "rb2701", "SHFE", "rb2701.SHFE"))
        self.assertEqual(parse_pattern("IO2612-C-4000.CFFEX").symbol, "IO2612-C-4000")
        self.assertEqual((parse_pattern("c*.DCE").kind, parse_pattern("c*.DCE").product), ("product", "c"))

    def test_bad_patterns_say_why(self) -> None:
        for bad, why in [("rb2701", "expected"), ("rb2701.XYZ", "unknown exchange"), ("r*b.SHFE", "wildcard"),
                         ("5100*.SSE", "do not name their underlying"), ("*b.SHFE", "wildcard")]:
            with self.assertRaises(ValueError) as cm:
                parse_pattern(bad)
            self.assertIn(why, str(cm.exception), bad)

    def test_product_is_exact_code_not_prefix(self) -> None:
        corn = parse_pattern("c*.DCE")
        self.assertTrue(corn.matches("c2701", "DCE"))
        self.assertFalse(corn.matches("cs2701", "DCE"))  # corn starch is another product
        self.assertFalse(corn.matches("c2701-C-2300", "DCE"))  # corn options are c_o
        self.assertTrue(parse_pattern("c_o*.DCE").matches("c2701-C-2300", "DCE"))
        self.assertFalse(corn.matches("c2701", "SHFE"))
        self.assertTrue(parse_pattern("SR*.CZCE").matches("SR701", "CZCE"))
        self.assertFalse(parse_pattern("SR*.CZCE").matches("SA701", "CZCE"))
        self.assertTrue(parse_pattern("IO*.CFFEX").matches("IO2612-C-4000", "CFFEX"))
        self.assertFalse(parse_pattern("IF*.CFFEX").matches("IO2612-C-4000", "CFFEX"))
        self.assertEqual(product_of("m2701-C-2850", "DCE"), "m_o")
        self.assertEqual(product_of("l_f2609", "DCE"), "l_f")
        self.assertEqual(product_of("L2602F", "DCE"), "l_f")
        self.assertIsNone(product_of("10008123", "SSE"))

    def test_topic_prefixes(self) -> None:
        self.assertEqual(parse_pattern("rb2701.SHFE").tick_prefixes(), (b"tick.SHFE.rb2701.",))
        self.assertEqual(parse_pattern("c*.DCE").tick_prefixes(), (b"tick.DCE.c",))
        self.assertEqual(parse_pattern("m_o*.DCE").tick_prefixes(), (b"tick.DCE.m",))
        self.assertEqual(parse_pattern("l_f*.DCE").tick_prefixes(), (b"tick.DCE.L", b"tick.DCE.l"))
        self.assertEqual(parse_pattern("*.SHFE").batch_prefix(), b"batch.SHFE.")
        self.assertEqual(parse_pattern("*").batch_prefix(), b"batch.")
        self.assertIsNone(parse_pattern("rb2701.SHFE").batch_prefix())

    def test_wide_patterns_take_both_streams_until_the_hub_says(self) -> None:
        s = Subscriptions()
        s.add([parse_pattern(p) for p in ("*.SHFE", "rb2701.SHFE", "c*.DCE")])
        narrow = {b"tick.SHFE.rb2701.", b"tick.DCE.c"}
        self.assertEqual(s.prefixes(None), narrow | {b"tick.SHFE.", b"batch.SHFE."})
        self.assertEqual(s.prefixes(True), narrow | {b"batch.SHFE."})
        self.assertEqual(s.prefixes(False), narrow | {b"tick.SHFE."})
        self.assertFalse(s.has_all)
        s.add([parse_pattern("*")])
        self.assertTrue(s.has_all)
        self.assertIn(b"batch.", s.prefixes(True))

    def test_matching_follows_additions_and_removals(self) -> None:
        s = Subscriptions()
        s.add([parse_pattern("c*.DCE")])
        self.assertTrue(s.matches("c2701", "DCE"))
        self.assertFalse(s.matches("cs2701", "DCE"))
        s.add([parse_pattern("*.DCE")])
        self.assertTrue(s.matches("cs2701", "DCE"))
        s.remove([parse_pattern("*.DCE")])
        self.assertFalse(s.matches("cs2701", "DCE"))


if __name__ == "__main__":
    unittest.main()
