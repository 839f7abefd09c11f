"""The Data page's label guess: when a new file is chosen and no label is set, the most likely
label column is pre-selected, with a note beside the choice saying so and why
(:mod:`guiapp.core.data.label_guess`).

The file's first rows are read on the worker thread. A label already shown (the saved study's,
or the user's choice when the same file is chosen again) is never replaced, and neither is a
choice the user makes while the guess is on its way. Load clicked before the guess arrives
waits for it, so the table is loaded with the label the page then shows.

Not a page: ``pages/data.py`` owns one.
"""

from __future__ import annotations

from pathlib import Path

from guiapp.core.study.errors import DataError


class LabelGuesser:
    """Asks for the guess, shows it in ``page.label`` and ``page.label_note``."""

    def __init__(self, page) -> None:
        self.page = page
        self.guess = None  # the LabelGuess the page showed, if any
        self.pending = False  # a guess is on its way
        self._asks = 0  # the latest guess asked for; older answers are for another file
        self._load_waiting = False
        page.label.currentIndexChanged.connect(self.show_note)

    def forget(self) -> None:
        """A new or reopened study: its own label is shown, no guess."""
        self._asks += 1
        self.guess, self.pending, self._load_waiting = None, False, False
        self.show_note()

    def ask(self) -> None:
        """Guess the label of the file the page shows, unless a label is already chosen."""
        page = self.page
        self._asks += 1
        self.pending, self._load_waiting = False, False
        text = page.path.text().strip()
        if page.label.currentData() or not text or not Path(text).exists():
            self.show_note()  # a label is set: the user's choice (or an earlier guess) stays
            return
        self.guess = None
        self.show_note()
        columns = [page.label.itemData(i) for i in range(1, page.label.count())]
        if not columns:
            return
        sheet = page.data_in.samples.text().strip()
        kwargs = dict(
            columns=columns,
            modality=page.data_in.modality(),
            sheet=page.data_in.sheet_name(),
            samples=sheet if sheet and Path(sheet).is_file() else "",
            exclude=[c for c in (page.batch.currentData(), page.group.currentData()) if c],
        )
        ask = self._asks

        def look(ctx):
            from guiapp.core.data.label_guess import peek_label_column

            try:
                return peek_label_column(text, **kwargs)
            except DataError:
                return None  # loading names what is wrong with the file
            except Exception:  # a guess only helps: whatever stops it, the user chooses (and Load must not wait)
                return None

        self.pending = True
        page.session.runner.run_in_background(look, on_done=lambda found: self._shown(ask, found))

    def _shown(self, ask: int, found) -> None:
        if ask != self._asks:
            return
        page = self.page
        self.pending = False
        index = page.label.findData(found.column) if found is not None else -1
        if index > 0 and not page.label.currentData():
            self.guess = found
            page.label.setCurrentIndex(index)
        self.show_note()
        page.label_guessed.emit(self.guess)
        if self._load_waiting:
            self._load_waiting = False
            page._load()

    def wait_before_load(self) -> bool:
        """True while a guess is on its way and no label is chosen: the page loads once it has arrived."""
        self._load_waiting = self.pending and not self.page.label.currentData()
        return self._load_waiting

    def show_note(self, *_args) -> None:
        """The note says the label was guessed while the guessed column is the one chosen."""
        shown = self.guess is not None and self.page.label.currentData() == self.guess.column
        self.page.label_note.setText(self.guess.words if shown else "")
        self.page.label_note.setVisible(shown)
