-- Tag changes in the change log (issue 16): an image a host holds before and after a snapshot whose repo tags differ
-- (`docker rmi repo:tag` of one of its tags, a tag that moved to a newer image on `docker pull`, `docker tag`) is a
-- change of subject 'tag'. Such a row keeps, as every row, the image keys (one per tag, so a key repeats when one
-- image gains or loses several tags) and, in the same order, the tags: tags[i] was added to or removed from image
-- keys[i]. Rows of other subjects have no tags. An image that arrives or leaves is an 'image' change only: its tags
-- come and go with it.
ALTER TABLE host_changes ADD COLUMN tags text[];

-- V2 created the table as host_change_sets: its checks kept that name.
ALTER TABLE host_changes DROP CONSTRAINT host_change_sets_subject_check;
ALTER TABLE host_changes ADD CONSTRAINT host_changes_subject_check CHECK (subject IN ('image', 'layer', 'tag'));
ALTER TABLE host_changes ADD CONSTRAINT host_changes_tags_check
    CHECK (CASE WHEN subject = 'tag' THEN cardinality(tags) = cardinality(keys) ELSE tags IS NULL END);
