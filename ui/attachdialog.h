#pragma once

#include <QDialog>

class QLabel;
class QLineEdit;
class QPushButton;

namespace hs {

/**
 * File ▸ Attach…: the address of a served run (`hybridscope run SCENARIO --serve PORT`) and its
 * token, if it has one. The address is checked before the dialog closes (a bad one is named under
 * the field) and remembered for the next time (QSettings); the token never is. A token can be
 * typed (hidden) or read from a file, as the server's --token-file.
 *
 *     AttachDialog d(window);
 *     if (d.exec() == QDialog::Accepted)
 *         window->attach(d.address(), d.token(), &error);
 */
class AttachDialog : public QDialog {
    Q_OBJECT
public:
    explicit AttachDialog(QWidget *parent = nullptr);

    QString address() const;
    QString token() const;
    QLineEdit *addressEdit() const { return m_address; }
    QLineEdit *tokenEdit() const { return m_token; }
    /// What is wrong with the address (empty while it is fine).
    QString errorText() const;

    /// Reads a token file as the server does (serve/serveoptions.h: its first line, private to its
    /// owner); empty with *error naming the file and what is wrong.
    static QString readTokenFile(const QString &path, QString *error);

public Q_SLOTS:
    void accept() override;

private:
    QLineEdit *m_address;
    QLineEdit *m_token;
    QPushButton *m_tokenFile;
    QLabel *m_error;
};

} // namespace hs
