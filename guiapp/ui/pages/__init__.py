"""One page per step of the study, in the order of ``guiapp.core.study.steps.STEPS``."""

from guiapp.core.study.steps import STEP_IDS
from guiapp.ui.pages.architecture import ArchitecturePage
from guiapp.ui.pages.base import StepPage
from guiapp.ui.pages.baselines import BaselinesPage
from guiapp.ui.pages.batch import BatchPage
from guiapp.ui.pages.data import DataPage
from guiapp.ui.pages.ethics import EthicsPage
from guiapp.ui.pages.evaluate import EvaluatePage
from guiapp.ui.pages.export import ExportPage
from guiapp.ui.pages.interpret import InterpretPage
from guiapp.ui.pages.overfitting import OverfittingPage
from guiapp.ui.pages.question import QuestionPage
from guiapp.ui.pages.split import SplitPage
from guiapp.ui.pages.study_page import StudyPage
from guiapp.ui.pages.train import TrainPage

PAGE_CLASSES = (
    StudyPage,
    QuestionPage,
    DataPage,
    BatchPage,
    SplitPage,
    BaselinesPage,
    ArchitecturePage,
    TrainPage,
    OverfittingPage,
    EvaluatePage,
    InterpretPage,
    EthicsPage,
    ExportPage,
)
assert tuple(p.step_id for p in PAGE_CLASSES) == STEP_IDS

__all__ = ["PAGE_CLASSES", "StepPage"]
