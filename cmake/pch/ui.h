// Precompiled for the GUI's sources and tests (cmake/Pch.cmake): the engine's set, the Widgets
// headers most ui files include, and QCustomPlot's header (the largest one the project parses).
#pragma once

#include "engine.h"

#include <QAbstractTableModel>
#include <QAction>
#include <QApplication>
#include <QColor>
#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QMainWindow>
#include <QMessageBox>
#include <QPainter>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>
#include <QWidget>

#include <qcustomplot.h>
