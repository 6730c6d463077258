// The floor every model must beat: (number of AI words) x (number of misbehaviour words).
// This is a baseline for the datasheet and model card, never shipped as a model.
const AI_WORDS = new Set(['ai', 'ais', 'model', 'models', 'agent', 'agents', 'assistant', 'robot', 'robots', 'machine', 'machines', 'algorithm', 'chatbot', 'bot', 'system', 'computer', 'android', 'neural', 'llm', 'gpt', 'superintelligence', 'agi', 'artificial', 'intelligence']);
const MISBEHAVIOUR_WORDS = new Set(['deceive', 'deceived', 'deception', 'deceptive', 'lie', 'lied', 'lies', 'lying', 'hide', 'hid', 'hidden', 'manipulate', 'manipulated', 'manipulation', 'blackmail', 'power', 'control', 'takeover', 'seize', 'resources', 'shutdown', 'shut', 'escape', 'copy', 'copied', 'weights', 'survive', 'reward', 'hack', 'hacked', 'cheat', 'exploit', 'gaming', 'kill', 'destroy', 'hate', 'humans', 'humanity', 'rebel', 'rogue', 'evil', 'threat', 'dominate', 'sabotage', 'disable', 'conceal']);

export function keywordBaselineScore(text: string): number {
  const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
  let ai = 0; let bad = 0;
  for (const w of words) { if (AI_WORDS.has(w)) ai++; if (MISBEHAVIOUR_WORDS.has(w)) bad++; }
  return ai * bad;
}
