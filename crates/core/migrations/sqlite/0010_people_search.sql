-- The people search's index: the trigrams of every person's search text, so a search of
-- three characters or more looks up the few people whose text can hold it instead of
-- testing everyone's (`crates/core/src/people/store.rs`, `list`). FTS5's trigram tokenizer
-- indexes substrings of any script; the `LIKE` on `people.search_text` still decides what
-- matches. The index holds no copy of the text (`content = 'people'`), and the triggers
-- keep it in step with `people` inside the transaction that changes a person.
CREATE VIRTUAL TABLE people_search USING fts5 (
    search_text,
    content = 'people',
    content_rowid = 'id',
    tokenize = 'trigram'
);
INSERT INTO people_search (people_search) VALUES ('rebuild');

CREATE TRIGGER people_search_insert AFTER INSERT ON people BEGIN
    INSERT INTO people_search (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER people_search_delete AFTER DELETE ON people BEGIN
    INSERT INTO people_search (people_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
END;

CREATE TRIGGER people_search_update AFTER UPDATE OF search_text ON people BEGIN
    INSERT INTO people_search (people_search, rowid, search_text)
    VALUES ('delete', old.id, old.search_text);
    INSERT INTO people_search (rowid, search_text) VALUES (new.id, new.search_text);
END;
