//! A file's lines from the last to the first, read a block at a time. Each byte is read once
//! and copied at most twice, whatever a line's length: a line of 60 MB costs what reading 60
//! MB costs, not a copy of the part read so far for every block.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

const BLOCK: usize = 64 * 1024;

pub struct BackwardLines {
    file: File,
    /// Where the part of the file not yet read ends.
    position: u64,
    /// The block read last; `block[..end]` is not returned yet.
    block: Vec<u8>,
    end: usize,
    /// Later parts of the line being put together, which began in a block read earlier (and so
    /// later in the file): the last part first.
    later: Vec<Vec<u8>>,
}

impl BackwardLines {
    pub fn new(mut file: File) -> io::Result<BackwardLines> {
        let position = file.seek(SeekFrom::End(0))?;
        Ok(BackwardLines {
            file,
            position,
            block: Vec::new(),
            end: 0,
            later: Vec::new(),
        })
    }

    /// The next line back (without its newline), or `None` at the start of the file. Empty
    /// lines are passed over.
    pub fn next_line(&mut self) -> io::Result<Option<Vec<u8>>> {
        loop {
            if let Some(newline) = self.block[..self.end].iter().rposition(|b| *b == b'\n') {
                let line = self.assemble(newline + 1);
                self.end = newline;
                if !line.is_empty() {
                    return Ok(Some(line));
                }
                continue;
            }
            if self.position == 0 {
                let line = self.assemble(0);
                self.end = 0;
                return Ok((!line.is_empty()).then_some(line));
            }
            self.read_block_before()?;
        }
    }

    /// The line that starts at `start` in the block, with its later parts.
    fn assemble(&mut self, start: usize) -> Vec<u8> {
        let head = &self.block[start..self.end];
        if self.later.is_empty() {
            return head.to_vec();
        }
        let length = head.len() + self.later.iter().map(Vec::len).sum::<usize>();
        let mut line = Vec::with_capacity(length);
        line.extend_from_slice(head);
        for part in self.later.drain(..).rev() {
            line.extend_from_slice(&part);
        }
        line
    }

    /// Keeps what is left of the current block as a later part of the line, and reads the
    /// block before it.
    fn read_block_before(&mut self) -> io::Result<()> {
        if self.end > 0 {
            let mut rest = std::mem::take(&mut self.block);
            rest.truncate(self.end);
            self.later.push(rest);
        }
        let length = BLOCK.min(usize::try_from(self.position).unwrap_or(BLOCK));
        let start = self.position - length as u64;
        let mut block = vec![0; length];
        self.file.seek(SeekFrom::Start(start))?;
        self.file.read_exact(&mut block)?;
        self.block = block;
        self.end = length;
        self.position = start;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn lines_of(content: &[u8]) -> Vec<Vec<u8>> {
        let mut file = tempfile::tempfile().expect("a file");
        file.write_all(content).expect("written");
        let mut lines = BackwardLines::new(file).expect("opened");
        let mut found = Vec::new();
        while let Some(line) = lines.next_line().expect("read") {
            found.push(line);
        }
        found
    }

    #[test]
    fn lines_come_last_first_across_blocks_and_without_empty_ones() {
        let long = vec![b'x'; 3 * BLOCK + 17];
        let mut content = b"first\n\n".to_vec();
        content.extend_from_slice(&long);
        content.extend_from_slice(b"\nlast without newline");
        let found = lines_of(&content);
        assert_eq!(
            found,
            vec![b"last without newline".to_vec(), long, b"first".to_vec()]
        );
        assert_eq!(lines_of(b""), Vec::<Vec<u8>>::new());
        assert_eq!(lines_of(b"\n\n"), Vec::<Vec<u8>>::new());
        assert_eq!(lines_of(b"one\n"), vec![b"one".to_vec()]);
    }

    #[test]
    fn a_newline_on_a_block_edge_splits_there() {
        for cut in [BLOCK - 1, BLOCK, BLOCK + 1] {
            let mut content = vec![b'a'; cut];
            content.push(b'\n');
            content.extend_from_slice(&vec![b'b'; BLOCK]);
            let found = lines_of(&content);
            assert_eq!(found.len(), 2, "cut at {cut}");
            assert_eq!(found[0], vec![b'b'; BLOCK]);
            assert_eq!(found[1], vec![b'a'; cut]);
        }
    }
}
