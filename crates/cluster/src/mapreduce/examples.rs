//! The example programs the lab offers, commented for learners: word count (with a combiner),
//! word frequencies (a second job over word count's output, to chain two jobs through HDFS as
//! the MapReduce Tutorial's "Job Control" describes) and pv/uv by (event type, source) over
//! `push_events` (a reducer that keeps state across keys).

/// Word count: `map` emits (word, 1); `combine` and `reduce` add the counts up.
pub const WORDCOUNT: &str = r#"# Word count: the "hello world" of MapReduce.

# map runs once per input line and emits (word, 1) for every word in it.
def map(line):
    # Lower-case the line and keep letters and apostrophes; every other
    # character becomes a space, so "Dog," and "dog" are the same word.
    text = ''
    for c in line.lower():
        if c.isalpha() or c == "'":
            text += c
        else:
            text += ' '
    for word in text.split():
        emit(word, 1)

# combine runs inside each map task, on its sorted output, once per word:
# it adds the 1s up before the shuffle, so fewer records cross the network.
# Counts arrive as ints, so sum() works.
def combine(word, counts):
    emit(word, sum(counts))

# reduce runs once per distinct word, with the counts from every map task.
def reduce(word, counts):
    emit(word, sum(counts))
"#;

/// Word frequencies: how many words occur once, twice... read from word count's `word<TAB>count`
/// output lines; `map` makes the count the key, `combine` and `reduce` add the words up.
pub const WORDFREQ: &str = r#"# Word frequencies: how many words occur 1 time, 2 times, 3 times...
# A second job: it reads word count's output (input=previous), one line
# "word<TAB>count" per word, from the files the first job wrote to HDFS.

# map makes the count the key: emit (count, 1) for each word.
def map(line):
    fields = line.split('\t')
    if len(fields) != 2:
        return                      # not a word count line: skip it
    emit(fields[1], 1)

# combine and reduce add the 1s up: the number of words with that count.
def combine(count, words):
    emit(count, sum(words))

def reduce(count, words):
    emit(count, sum(words))
"#;

/// pv and uv by (event_type, source) over `push_events` as tab-separated text.
pub const PVUV: &str = r#"# pv and uv by (event_type, source) from push_events:
#   pv = rows (every event is a view), uv = distinct users (cuid).
# Input: one row per line, tab-separated, columns in this order:
#   cuid, event_type, event_day, sid, source, is_all, tag_type,
#   break_max, push_active_level
# NULL is written \N (Hive's text format).
#
# Run with 3 key fields (stream.num.map.output.key.fields=3) and
# KeyFieldBasedPartitioner -k1,2: every key of one (event_type, source)
# goes to the same reducer, and arrives there sorted by user. With the
# HashPartitioner on all 3 fields, one group is spread over several
# reducers, and each writes its own partial row for it.

def map(line):
    fields = line.split('\t')
    if len(fields) != 9:
        return                      # not a push_events row: skip it
    cuid = fields[0]
    event_type = fields[1]
    source = fields[4]              # \N when the attribution was lost
    emit((event_type, source, cuid), 1)

# The reducer's state, kept across reduce() calls within one reduce task:
# the group being counted and its totals so far.
group = None
pv = 0
uv = 0

# reduce runs once per (event_type, source, cuid) key, keys in sorted order,
# so one group's users arrive one after another.
def reduce(key, values):
    global group, pv, uv
    event_type, source, cuid = key.split('\t')
    if (event_type, source) != group:
        flush()                     # a new group starts: write the last one
        group = (event_type, source)
        pv = 0
        uv = 0
    pv += len(values)               # one value per row of this user
    uv += 1                         # one key per user

def flush():
    if group is not None:
        emit(group, (pv, uv))       # event_type, source, pv, uv

# close runs once after the reduce task's last key: write the last group.
def close():
    flush()
"#;
