import { describe, expect, it } from 'vitest';
import { subscriptionPrefix, tickTopic, topicMatches } from '../src/index.js';

describe('topic scheme', () => {
  const rb = tickTopic('SHFE', 'rb2601');
  const rbLonger = tickTopic('SHFE', 'rb26010');
  const cu = tickTopic('SHFE', 'cu2601');
  const sr = tickTopic('CZCE', 'SR601');

  it('exact subscription gets only that instrument (no prefix accidents)', () => {
    const p = subscriptionPrefix('rb2601.SHFE');
    expect(topicMatches(p, rb)).toBe(true);
    expect(topicMatches(p, rbLonger)).toBe(false);
    expect(topicMatches(p, cu)).toBe(false);
    expect(topicMatches(subscriptionPrefix('SR601.CZCE'), sr)).toBe(true);
  });

  it('exchange subscription gets every instrument of that exchange only', () => {
    const p = subscriptionPrefix('*.SHFE');
    expect([rb, rbLonger, cu].every((t) => topicMatches(p, t))).toBe(true);
    expect(topicMatches(p, sr)).toBe(false);
    expect(topicMatches(subscriptionPrefix('*.SH'.replace('SH', 'SSE')), tickTopic('SSE', '10008123'))).toBe(true);
  });

  it('all-ticks subscription gets every tick and no event topic', () => {
    const p = subscriptionPrefix('*');
    expect([rb, cu, sr].every((t) => topicMatches(p, t))).toBe(true);
    expect(topicMatches(p, 'status')).toBe(false);
    expect(topicMatches(p, 'heartbeat')).toBe(false);
  });

  it('option ids with dashes work, bad patterns are named errors', () => {
    expect(subscriptionPrefix('IO2512-C-4000.CFFEX')).toBe('tick.CFFEX.IO2512-C-4000.');
    expect(() => subscriptionPrefix('rb2601')).toThrow(/MDH_ERR_TOPIC_BAD_PATTERN/);
    expect(() => subscriptionPrefix('*.NYSE')).toThrow(/MDH_ERR_TOPIC_BAD_PATTERN/);
    expect(() => subscriptionPrefix('rb*.SHFE')).toThrow(/MDH_ERR_TOPIC_BAD_PATTERN/);
    expect(subscriptionPrefix('status')).toBe('status');
  });
});
