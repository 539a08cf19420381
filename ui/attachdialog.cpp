#include "attachdialog.h"

#include "remoterun.h"
#include "serve/serveoptions.h"

#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QVBoxLayout>

namespace hs {

namespace {
const QString kAddressKey = QStringLiteral("attach/address");
} // namespace

AttachDialog::AttachDialog(QWidget *parent)
    : QDialog(parent)
    , m_address(new QLineEdit)
    , m_token(new QLineEdit)
    , m_tokenFile(new QPushButton(tr("From File…")))
    , m_error(new QLabel)
{
    setWindowTitle(tr("Attach to a Served Run"));
    auto *intro = new QLabel(tr("Follow a run served by <tt>hybridscope run SCENARIO --serve PORT</tt>, here or on "
                                "another machine, with the same plots and controls as a run of this window. "
                                "Detach leaves it running. A remote machine is best reached through an SSH "
                                "tunnel (<tt>ssh -L</tt>, docs/serve.md)."));
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::RichText);

    m_address->setObjectName(QStringLiteral("attachAddress"));
    m_address->setPlaceholderText(QStringLiteral("127.0.0.1:9400"));
    m_address->setText(QSettings().value(kAddressKey).toString());
    m_address->setToolTip(tr("HOST:PORT of the served run, as its “hybridscope: serving http://HOST:PORT” line says"));
    m_token->setObjectName(QStringLiteral("attachToken"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("none"));
    m_token->setToolTip(tr("The token of a run served with --token-file (sent as Authorization: Bearer); never "
                           "saved"));
    m_tokenFile->setToolTip(tr("Read the token from a file, as the server's --token-file"));
    connect(m_tokenFile, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, tr("Token file"), QDir::homePath());
        if (path.isEmpty())
            return;
        QString error;
        const QString token = readTokenFile(path, &error);
        m_error->setText(error);
        m_error->setVisible(!error.isEmpty());
        if (!token.isEmpty())
            m_token->setText(token);
    });
    connect(m_address, &QLineEdit::textEdited, this, [this] { m_error->hide(); });

    m_error->setObjectName(QStringLiteral("attachError"));
    m_error->setTextFormat(Qt::PlainText);
    m_error->setWordWrap(true);
    m_error->setStyleSheet(QStringLiteral("QLabel { color: #e03131; }"));
    m_error->hide();

    auto *tokenRow = new QHBoxLayout;
    tokenRow->addWidget(m_token, 1);
    tokenRow->addWidget(m_tokenFile);
    auto *form = new QFormLayout;
    form->addRow(tr("&Address:"), m_address);
    form->addRow(tr("&Token:"), tokenRow);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("Attach"));
    connect(buttons, &QDialogButtonBox::accepted, this, &AttachDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(460);
}

QString AttachDialog::address() const
{
    return m_address->text().trimmed();
}

QString AttachDialog::token() const
{
    return m_token->text().trimmed();
}

QString AttachDialog::errorText() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

QString AttachDialog::readTokenFile(const QString &path, QString *error)
{
    // The server's own reading (serve/serveoptions.h), so that one file serves both ends.
    QByteArray token;
    QString why;
    if (!hs::readTokenFile(path, &token, &why)) {
        *error = tr("token file %1: %2").arg(QDir::toNativeSeparators(path), why);
        return {};
    }
    return QString::fromLatin1(token);
}

void AttachDialog::accept()
{
    QString error;
    if (!AttachTarget::parse(address(), &error)) {
        m_error->setText(error);
        m_error->show();
        m_address->setFocus();
        return;
    }
    QSettings().setValue(kAddressKey, address());
    QDialog::accept();
}

} // namespace hs
